"""Admin for instruments, items with their texts, scales and versioned prompt templates."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from careers.models import Instrument, Item, ItemText, PromptTemplate, Scale, ScalePoint
from config.admin_deletion import ExplainsRefusedDeletion


@admin.register(Instrument)
class InstrumentAdmin(ExplainsRefusedDeletion):
    list_display = ["slug", "name", "version", "languages", "created_at"]
    search_fields = ["slug", "name", "name_zh"]

    def deletion_refusal(self, obj) -> str | None:
        # Runs give its items and are protected by them; an instrument no run used may go.
        runs = 0 if obj is None else obj.runs.count()
        if not runs:
            return None
        return ngettext(
            "This instrument was given in %(count)s run; the run's answers are to its items, so "
            "it is never deleted. A changed inventory is a new instrument (another slug or "
            "version).",
            "This instrument was given in %(count)s runs; their answers are to its items, so it "
            "is never deleted. A changed inventory is a new instrument (another slug or version).",
            runs,
        ) % {"count": runs}


class ItemTextInline(admin.StackedInline):
    model = ItemText
    extra = 0

    def get_queryset(self, request):
        # Each text's form reads its item: joined, not one query for each text.
        return super().get_queryset(request).select_related("item")


class ItemTextLanguageFilter(admin.SimpleListFilter):
    title = _("language with text")
    parameter_name = "text_language"

    def lookups(self, request, model_admin):
        return ItemText._meta.get_field("language").choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(texts__language=self.value()).distinct()
        return queryset


@admin.register(Item)
class ItemAdmin(ExplainsRefusedDeletion):
    list_display = ["number", "area", "activity_en", "instrument"]
    list_filter = ["instrument", "area", ItemTextLanguageFilter]
    search_fields = ["texts__activity", "texts__task"]
    inlines = [ItemTextInline]
    ordering = ["instrument", "number"]

    def get_readonly_fields(self, request, obj=None):
        # Runs find an item's frozen text by its number, and statistics group by number and
        # area: changing either would re-label every answer already given and still pending.
        if obj is not None:
            return ["instrument", "number", "area"]
        return []

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("instrument").prefetch_related("texts")

    @admin.display(description=_("activity (English)"))
    def activity_en(self, item: Item) -> str:
        return next((t.activity for t in item.texts.all() if t.language == "en"), "")

    def deletion_refusal(self, obj) -> str | None:
        trials = 0 if obj is None else obj.trials.count()
        if not trials:
            return None
        return ngettext(
            "This item was asked in %(count)s trial; its answer is the study's data, so the "
            "item is never deleted. Edit its texts instead: a run keeps the text it was given.",
            "This item was asked in %(count)s trials; their answers are the study's data, so "
            "the item is never deleted. Edit its texts instead: a run keeps the text it was "
            "given.",
            trials,
        ) % {"count": trials}


@admin.register(ItemText)
class ItemTextAdmin(admin.ModelAdmin):
    list_display = ["item", "language", "activity"]
    list_filter = ["language", "item__area", "item__instrument"]
    search_fields = ["activity", "task"]
    list_select_related = ["item"]

    def get_queryset(self, request):
        # The change page's title names the item too: joined, as in the list.
        return super().get_queryset(request).select_related("item")


class ScalePointInline(admin.TabularInline):
    model = ScalePoint
    extra = 0


@admin.register(Scale)
class ScaleAdmin(ExplainsRefusedDeletion):
    list_display = ["slug", "name", "instrument"]
    inlines = [ScalePointInline]

    def deletion_refusal(self, obj) -> str | None:
        campaigns = 0 if obj is None else obj.campaigns.count()
        if not campaigns:
            return None
        return ngettext(
            "This scale is used by %(count)s campaign; its ratings are on this scale, so it is "
            "never deleted.",
            "This scale is used by %(count)s campaigns; their ratings are on this scale, so it "
            "is never deleted.",
            campaigns,
        ) % {"count": campaigns}


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    """Saving a changed template stores a new version; earlier versions stay listed below it."""

    list_display = ["kind", "language", "variant", "version", "note", "created_by", "created_at"]
    list_filter = ["instrument", "kind", "language", "variant"]
    search_fields = ["user_text", "system_text", "note"]
    readonly_fields = ["version", "created_by", "created_at", "version_history"]
    fields = [
        "instrument",
        "kind",
        "language",
        "variant",
        "system_text",
        "user_text",
        "note",
        *readonly_fields,
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "instrument", "kind", "language", "variant"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            original = PromptTemplate.objects.get(pk=obj.pk)
            revised = original.revise(
                system_text=obj.system_text, user_text=obj.user_text, note=obj.note, by=request.user
            )
            obj.pk = revised.pk
            obj.version = revised.version
            self.message_user(
                request,
                _("Saved as version %(v)s; the earlier version is kept.") % {"v": revised.version},
            )
            return
        obj.created_by = request.user
        obj.version = 1
        super().save_model(request, obj, form, change)

    @admin.display(description=_("version history"))
    def version_history(self, obj: PromptTemplate) -> str:
        if obj.pk is None:
            return "-"
        versions = obj.family.order_by("-version").values_list("version", "created_at", "note")
        return "\n".join(f"v{v} {created:%Y-%m-%d %H:%M} {note}" for v, created, note in versions)
