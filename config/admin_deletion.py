"""Admins whose objects, some or all, are never deleted say why, in plain words.

Django's own answers to a refused deletion are a 403 page or a confirmation that lists "types of
objects" the account may not delete; a study admin needs the reason (ratings, runs and answers
are the study's record) and what to do instead. Every app's admin uses these.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import quote, unquote
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# How many refused objects the delete action names before it counts the rest.
REFUSALS_SHOWN = 10


def delete_unless_refused(modeladmin, request, queryset):
    """Django's delete action, which first says why the objects that are never deleted are not,
    and then deletes nothing, instead of its confirmation page's "your account doesn't have
    permission to delete the following types of objects"."""
    refused = [
        (obj, reason)
        for obj in queryset
        if (reason := modeladmin.deletion_refusal(obj)) is not None
    ]
    if not refused:
        return delete_selected(modeladmin, request, queryset)
    for obj, reason in refused[:REFUSALS_SHOWN]:
        modeladmin.message_user(
            request, _("%(object)s: %(reason)s") % {"object": obj, "reason": reason}, messages.ERROR
        )
    if len(refused) > REFUSALS_SHOWN:
        modeladmin.message_user(
            request,
            _("%(count)s more of the selected objects are never deleted either.")
            % {"count": len(refused) - REFUSALS_SHOWN},
            messages.ERROR,
        )
    modeladmin.message_user(request, _("Nothing was deleted."), messages.WARNING)
    return None


class ExplainsRefusedDeletion(admin.ModelAdmin):
    """An admin whose objects, some or all, are never deleted: it says why instead of Django's
    generic refusal (a 403 page, or a confirmation that lists types of objects the account may
    not delete). `deletion_refusal` gives the reason for an object, or for every object of the
    model when asked about None."""

    def deletion_refusal(self, obj) -> str | None:
        return None

    def has_delete_permission(self, request, obj=None) -> bool:
        if self.deletion_refusal(obj) is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        # Only to someone who may delete this kind of object, and only for one that exists; the
        # rest (no permission, unknown object, to_field) is Django's to answer.
        if TO_FIELD_VAR not in request.POST and TO_FIELD_VAR not in request.GET:
            obj = self.get_object(request, unquote(object_id))
            refusal = None if obj is None else self.deletion_refusal(obj)
            if refusal is not None and super().has_delete_permission(request):
                self.message_user(request, refusal, messages.ERROR)
                return HttpResponseRedirect(self._refused_deletion_url(request, obj))
        return super().delete_view(request, object_id, extra_context)

    def _refused_deletion_url(self, request, obj) -> str:
        if self.has_view_or_change_permission(request, obj):
            opts = self.opts
            return reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[quote(obj.pk)],
            )
        return reverse(f"{self.admin_site.name}:index")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _action, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_unless_refused, name, description)
        return actions
