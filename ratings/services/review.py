"""The review gate: study admins settle doubtful redactions before experts read a unit.

A unit goes on the review list when its redaction removed something, when a self-introduction
that names nobody is still in its text (`ratings.self_introduction.identity_hints`), or when an
expert flags it as identifying the model. While it is there it is withheld from every expert who
has not rated it (see `ratings.selectors`); a campaign with units on the list is created in the
"review" status and cannot open until they are approved or edited, unless a study admin skips
the review explicitly, which the campaign records (who, when). Every approval, edit, flag and
skip is kept as a `UnitReviewEvent` with who made it; an edit keeps the text before and after.
A flagged calibration unit holds up only the experts whose qualification it can still change
(`ratings.calibration.calibrations_after_withholding`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict
from ratings.calibration import calibrations_after_withholding
from ratings.models import (
    Assignment,
    Campaign,
    CampaignStatus,
    ExpertProfile,
    Rating,
    ReviewAction,
    Unit,
    UnitReviewEvent,
    UnitReviewStatus,
)
from ratings.redaction import KIND_LISTED, KIND_PATTERN, RedactionResult
from ratings.self_introduction import identity_hints

# Why a unit is on the review list (Unit.review_reasons).
REASON_LISTED = "listed_name"
REASON_PATTERN = "self_introduction"
REASON_HINT = "identity_hint"
REASON_FLAGGED = "flagged_by_expert"
MAX_TEXT_LENGTH = 100_000
# A unit whose review was settled but that experts may still be waiting for.
SETTLED = (UnitReviewStatus.APPROVED, UnitReviewStatus.SKIPPED, UnitReviewStatus.NOT_NEEDED)


def review_reasons(result: RedactionResult) -> list[str]:
    """Why a freshly redacted unit needs a study admin's look (empty when it does not)."""
    reasons = []
    if result.count_of(KIND_LISTED):
        reasons.append(REASON_LISTED)
    if result.count_of(KIND_PATTERN):
        reasons.append(REASON_PATTERN)
    if identity_hints(result.text):
        reasons.append(REASON_HINT)
    return reasons


def _locked_unit(unit: Unit) -> Unit:
    return Unit.objects.select_for_update(of=("self",), no_key=True).get(pk=unit.pk)


@transaction.atomic
def unit_review_save(*, unit: Unit, by, text: str | None = None, note: str = "") -> Unit:
    """Approve a unit's redacted text as it is, or replace it with `text` (an edit).

    The unit leaves the review list; in an open campaign it returns at once to the queues of
    the experts it was withheld from. An edit keeps the text before and after, and who made it.
    """
    unit = _locked_unit(unit)
    errors: dict[str, list[str]] = {}
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            errors["text"] = [_("The redacted text cannot be empty.")]
        elif len(text) > MAX_TEXT_LENGTH:
            errors["text"] = [_("At most %(count)s characters.") % {"count": MAX_TEXT_LENGTH}]
        elif "\x00" in text:
            # PostgreSQL cannot store it; Django's message, translated by Django.
            errors["text"] = [str(ProhibitNullCharactersValidator.message)]
    if len(note) > 300:
        errors["note"] = [_("At most %(count)s characters.") % {"count": 300}]
    if unit.review_status == UnitReviewStatus.NOT_NEEDED and text is None:
        errors["unit"] = [_("This unit is not on the review list; there is nothing to approve.")]
    if errors:
        raise ValidationError(errors)
    before = unit.text_redacted
    edited = text is not None and text != before
    if edited:
        unit.text_redacted = text
    unit.review_status = UnitReviewStatus.APPROVED
    unit.save(update_fields=["text_redacted", "review_status"])
    UnitReviewEvent.objects.create(
        unit=unit,
        action=ReviewAction.EDITED if edited else ReviewAction.APPROVED,
        text_before=before if edited else "",
        text_after=unit.text_redacted if edited else "",
        by=by,
        note=note,
    )
    return unit


def _release_pending(*, campaign: Campaign, by) -> int:
    pending = list(
        Unit.objects.filter(campaign=campaign, review_status=UnitReviewStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Unit.objects.filter(pk__in=pending).update(review_status=UnitReviewStatus.SKIPPED)
    UnitReviewEvent.objects.bulk_create(
        UnitReviewEvent(unit_id=unit_id, action=ReviewAction.SKIPPED, by=by) for unit_id in pending
    )
    return len(pending)


@transaction.atomic
def campaign_review_skip(*, campaign: Campaign, by) -> Campaign:
    """Release every unit on the review list unreviewed; the campaign records who and when."""
    _release_pending(campaign=campaign, by=by)
    Campaign.objects.filter(pk=campaign.pk).update(
        review_skipped_by=by, review_skipped_at=timezone.now()
    )
    campaign.refresh_from_db(fields=["review_skipped_by", "review_skipped_at"])
    return campaign


@transaction.atomic
def campaign_open(*, campaign: Campaign, by, skip_review: bool = False) -> Campaign:
    """Open a campaign that awaits review, once no unit is left on the review list.

    skip_review=True opens it anyway: the units still on the list are released unreviewed and
    the campaign records who skipped the review and when. An open campaign stays open; a closed
    one is reopened with `campaign_reopen`.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == CampaignStatus.OPEN:
        return campaign
    if campaign.status != CampaignStatus.REVIEW:
        raise Conflict(_("The campaign is closed; reopen it instead of opening it."))
    pending = Unit.objects.filter(campaign=campaign, review_status=UnitReviewStatus.PENDING)
    waiting = pending.count()
    if waiting and not skip_review:
        raise ValidationError(
            {
                "review": [
                    _(
                        "%(count)s units await review: approve or edit them, or skip the "
                        "review explicitly."
                    )
                    % {"count": waiting}
                ]
            }
        )
    if waiting:
        campaign_review_skip(campaign=campaign, by=by)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.OPEN)
    campaign.refresh_from_db()
    return campaign


def unit_flag_for_review(
    *, assignment: Assignment, revision: int, is_calibration: bool | None = None
) -> bool:
    """An expert flagged the unit as identifying the model: back to the review list.

    Called inside the rating's transaction. A revision that keeps a flag its assignment already
    had does not put a reviewed unit back; a new flag does. Returns whether it was listed.
    A calibration unit (`is_calibration`, looked up when not given) is withheld without holding
    up the experts whose qualification it can no longer change (`ratings.calibration`).
    """
    if revision > 1 and (
        Rating.objects.filter(
            assignment_id=assignment.pk, revision=revision - 1, flag_identifies_model=True
        ).exists()
    ):
        return False
    if assignment.campaign.qualification_threshold is not None:
        if is_calibration is None:
            is_calibration = Unit.objects.filter(
                pk=assignment.unit_id, is_calibration=True
            ).exists()
        if is_calibration:
            calibrations_after_withholding(assignment=assignment)
    unit = Unit.objects.select_for_update(of=("self",), no_key=True).get(pk=assignment.unit_id)
    reasons = list(unit.review_reasons)
    if REASON_FLAGGED not in reasons:
        reasons.append(REASON_FLAGGED)
    unit.review_status = UnitReviewStatus.PENDING
    unit.review_reasons = reasons
    unit.save(update_fields=["review_status", "review_reasons"])
    expert_user = (
        ExpertProfile.objects.filter(pk=assignment.expert_id).values_list("user_id", flat=True)
    ).first()
    UnitReviewEvent.objects.create(
        unit=unit, action=ReviewAction.FLAGGED, by_id=expert_user, note=f"revision {revision}"
    )
    return True
