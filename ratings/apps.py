from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = _("Expert ratings")

    def ready(self) -> None:
        from ratings.analysis.labels import labels_ready
        from ratings.dropout import connect_signals

        # A deactivated expert's unfinished assignments are handed on to the other experts.
        connect_signals()
        labels_ready()
