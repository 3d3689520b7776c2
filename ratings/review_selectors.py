"""Reads of the review gate: the review list of a campaign and its redaction figures.

For study admins and researchers only: the review list shows each unit's original text, which
names its model. The figures (units redacted, redactions by kind, units reviewed, edited and
flagged by experts) are served with every campaign in the API and written to the replication
package, as annotations so that a list of campaigns stays one query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from ratings.models import Campaign, ReviewAction, Unit, UnitReviewEvent, UnitReviewStatus
from ratings.self_introduction import identity_hints
from ratings.services.review import REASON_FLAGGED, REASON_HINT, REASON_LISTED, REASON_PATTERN

FIGURES = (
    "units_redacted",
    "redactions_listed",
    "redactions_pattern",
    "units_awaiting_review",
    "units_reviewed",
    "units_edited",
    "units_flagged",
)


def _per_campaign(queryset: QuerySet, aggregate) -> Coalesce:
    value = (
        queryset.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=aggregate)
        .values("n")
    )
    return Coalesce(Subquery(value, output_field=IntegerField()), 0)


def _units_with_events(*actions: str) -> Coalesce:
    value = (
        UnitReviewEvent.objects.filter(unit__campaign=OuterRef("pk"), action__in=actions)
        .order_by()
        .values("unit__campaign")
        .annotate(n=Count("unit", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(value, output_field=IntegerField()), 0)


def with_redaction_figures(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Annotate each campaign with FIGURES (subqueries in the same query)."""
    units = Unit.objects.all()
    return queryset.annotate(
        units_redacted=_per_campaign(units.filter(redactions__gt=0), Count("pk")),
        redactions_listed=_per_campaign(units, Sum("redactions_listed")),
        redactions_pattern=_per_campaign(units, Sum("redactions_pattern")),
        units_awaiting_review=_per_campaign(
            units.filter(review_status=UnitReviewStatus.PENDING), Count("pk")
        ),
        units_reviewed=_units_with_events(ReviewAction.APPROVED, ReviewAction.EDITED),
        units_edited=_units_with_events(ReviewAction.EDITED),
        units_flagged=_units_with_events(ReviewAction.FLAGGED),
    )


def redaction_figures(campaign: Campaign) -> dict[str, int]:
    """The figures of one campaign: taken from its annotations, or one query when it has none."""
    if all(hasattr(campaign, name) for name in FIGURES):
        return {name: getattr(campaign, name) for name in FIGURES}
    annotated = with_redaction_figures(Campaign.objects.filter(pk=campaign.pk)).values(*FIGURES)
    return dict(annotated.get())


@dataclass(frozen=True)
class ReviewEntry:
    unit: Unit
    original: str
    hints: list[str]
    events: list[UnitReviewEvent]
    # Why the unit is listed, in the reader's language (Unit.review_reasons holds the codes).
    reasons: list[str]


# The review list's words for the codes of Unit.review_reasons; an unknown code shows as it is.
REASON_LABELS = {
    REASON_LISTED: _("a listed name was removed"),
    REASON_PATTERN: _("a self-introduction was removed"),
    REASON_HINT: _("identity patterns remain"),
    REASON_FLAGGED: _("flagged by an expert"),
}


# What the review list shows of a unit and its trial (the original text only).
REVIEW_UNIT_FIELDS = (
    "blind_code",
    "language",
    "is_calibration",
    "text_redacted",
    "redactions",
    "redactions_listed",
    "redactions_pattern",
    "review_status",
    "review_reasons",
    "trial__text",
)


def review_list(
    *, campaign: Campaign, include_settled: bool = False, blind_code: str | None = None
) -> list[ReviewEntry]:
    """Units awaiting review (or every unit that was ever listed), original beside redacted.

    Two queries whatever the length: the units with their trials' text, and their events with
    who made them.
    """
    units = Unit.objects.filter(campaign=campaign)
    if include_settled:
        units = units.exclude(review_status=UnitReviewStatus.NOT_NEEDED)
    else:
        units = units.filter(review_status=UnitReviewStatus.PENDING)
    if blind_code is not None:
        units = units.filter(blind_code=blind_code)
    events = UnitReviewEvent.objects.select_related("by").order_by("created_at", "pk")
    rows = (
        units.select_related("trial")
        .only(*REVIEW_UNIT_FIELDS)
        .prefetch_related(Prefetch("review_events", queryset=events))
        .order_by("blind_code")
    )
    return [
        ReviewEntry(
            unit=unit,
            original=unit.trial.text,
            hints=identity_hints(unit.text_redacted),
            events=list(unit.review_events.all()),
            reasons=[str(REASON_LABELS.get(code, code)) for code in unit.review_reasons],
        )
        for unit in rows
    ]
