"""Pages of the rating app: the expert's queue and units, set-password links, admin progress."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from ratings import views

urlpatterns = [
    path("overview/", views.study_overview_page, name="study-overview"),
    path("rate/", views.rate_queue, name="rate-queue"),
    path("rate/<str:blind_code>/", views.rate_unit, name="rate-unit"),
    path("rate/<str:blind_code>/draft/", views.rate_draft, name="rate-draft"),
    path("rate/<str:blind_code>/submit/", views.rate_submit, name="rate-submit"),
    path("rate/<str:blind_code>/skip/", views.rate_skip, name="rate-skip"),
    path(
        "ratings/campaigns/<int:campaign_id>/progress/",
        views.campaign_progress_page,
        name="campaign-progress",
    ),
    path(
        "ratings/campaigns/<int:campaign_id>/review/",
        views.campaign_review_page,
        name="campaign-review",
    ),
    path(
        "accounts/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="ratings/set_password_done.html"
        ),
        name="set-password-done",
    ),
    # The one-time link of an invitation: Django's password-reset confirmation, no e-mail.
    path(
        "accounts/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="ratings/set_password.html",
            success_url=reverse_lazy("set-password-done"),
        ),
        name="set-password",
    ),
]
