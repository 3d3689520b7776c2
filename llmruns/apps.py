from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LlmrunsConfig(AppConfig):
    name = "llmruns"
    verbose_name = _("LLM runs")
