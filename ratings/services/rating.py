"""An expert's work on one assignment: opening it, keeping a draft, submitting, revising, skipping.

Each write locks only the assignment's row and is refused once the campaign is closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateTimeField, F, Max, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from careers.models import ScalePoint
from ratings import adaptive, calibration
from ratings.models import (
    RATING_FLAGS,
    Assignment,
    AssignmentStatus,
    CampaignStatus,
    Rating,
    SkipReason,
)
from ratings.services.review import unit_flag_for_review

IDENTIFIES_MODEL = "identifies_model"

# A browser's active-time counter can be wrong or forged; longer than a day is not a rating.
MAX_ACTIVE_SECONDS = 24 * 3600.0
MAX_COMMENT_LENGTH = 5000


class RatingConflict(ValidationError):
    """The assignment's state forbids the action: the campaign is closed, or already rated."""


def assignment_open(*, assignment: Assignment) -> None:
    """Record that the unit's page was shown: the first time stays, the latest is updated.

    One UPDATE statement, atomic by itself: no transaction around it to begin and commit.
    """
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(
        opened_at=Coalesce(F("opened_at"), Value(now, output_field=DateTimeField())),
        last_opened_at=now,
    )


def _locked(assignment: Assignment) -> Assignment:
    # Lock only the assignment row, so experts submitting in the same campaign never wait on
    # each other; the campaign's status is read, not locked.
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=assignment.pk)
    )


def _refuse_unless_calibration_allows(assignment: Assignment, *, action: str) -> bool:
    """Calibrated campaigns: real units wait for qualification, calibration ratings are final.
    Returns whether the unit is a calibration unit."""
    try:
        return calibration.rating_allowed_check(assignment=assignment, action=action)
    except calibration.CalibrationConflict as exc:
        raise RatingConflict(str(exc), code="calibration") from exc


def _after_rating(assignment: Assignment, *, value: int | None, is_calibration: bool) -> None:
    # Adaptive and calibrated campaigns only: a plain campaign makes no query here.
    if is_calibration and value is not None:
        calibration.calibration_rating_record(assignment=assignment, value=value)
    adaptive.unit_review(assignment=assignment)


def _refuse_if_closed(assignment: Assignment) -> None:
    if assignment.campaign.status != CampaignStatus.OPEN:
        raise RatingConflict(
            _("This campaign is closed; ratings can no longer be changed."), code="campaign_closed"
        )


def _check_rating_input(
    *,
    assignment: Assignment,
    value: int | None,
    comment: str,
    flags: Iterable[str],
    active_seconds: float | None = None,
    value_required: bool,
) -> list[str]:
    errors: dict[str, list[str]] = {}
    if value is None:
        if value_required:
            errors["value"] = [_("Choose a value on the scale.")]
    else:
        # order_by(): the model's default ordering would join the scale and the instrument.
        allowed = sorted(
            ScalePoint.objects.filter(scale_id=assignment.campaign.scale_id)
            .order_by()
            .values_list("value", flat=True)
            .distinct()
        )
        if value not in allowed:
            errors["value"] = [
                _("%(value)s is not on the scale; choose one of %(allowed)s.")
                % {"value": value, "allowed": allowed}
            ]
    flags = list(dict.fromkeys(flags))
    unknown = sorted(set(flags) - set(RATING_FLAGS))
    if unknown:
        errors["flags"] = [f"unknown flags {unknown}; valid: {list(RATING_FLAGS)}"]
    if len(comment) > MAX_COMMENT_LENGTH:
        errors["comment"] = [_("At most %(count)s characters.") % {"count": MAX_COMMENT_LENGTH}]
    if active_seconds is not None and not 0 <= active_seconds <= MAX_ACTIVE_SECONDS:
        errors["active_seconds"] = [f"must be between 0 and {MAX_ACTIVE_SECONDS:.0f}"]
    if errors:
        raise ValidationError(errors)
    return flags


def _seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return (now - moment).total_seconds() if moment else None


@transaction.atomic
def draft_save(
    *,
    assignment: Assignment,
    value: int | None,
    comment: str = "",
    flags: Iterable[str] = (),
) -> Assignment:
    """Keep the expert's unfinished answer. A submitted assignment stays submitted."""
    assignment = _locked(assignment)
    _refuse_if_closed(assignment)
    flags = _check_rating_input(
        assignment=assignment, value=value, comment=comment, flags=flags, value_required=False
    )
    assignment.draft_value = value
    assignment.draft_comment = comment
    assignment.draft_flags = flags
    assignment.draft_saved_at = timezone.now()
    if assignment.status in (AssignmentStatus.PENDING, AssignmentStatus.SKIPPED):
        assignment.status = AssignmentStatus.DRAFT
        assignment.skip_reason = ""
        assignment.skip_note = ""
    assignment.save(
        update_fields=[
            "draft_value",
            "draft_comment",
            "draft_flags",
            "draft_saved_at",
            "status",
            "skip_reason",
            "skip_note",
        ]
    )
    return assignment


def _rating_record(
    *,
    assignment: Assignment,
    value: int,
    comment: str,
    flags: list[str],
    active_seconds: float | None,
    submission_id: uuid.UUID | None,
    revision: int,
    now: datetime,
    simulated: bool = False,
    is_calibration: bool = False,
) -> Rating:
    rating = Rating.objects.create(
        assignment=assignment,
        revision=revision,
        submission_id=submission_id,
        value=value,
        comment=comment,
        server_seconds=_seconds_since(assignment.last_opened_at or assignment.opened_at, now),
        active_seconds=active_seconds,
        simulated=simulated,
        **{field: flag in flags for flag, field in RATING_FLAGS.items()},
    )
    if IDENTIFIES_MODEL in flags:
        # Back to the review list, withheld from the experts who have not rated it yet.
        unit_flag_for_review(
            assignment=assignment, revision=revision, is_calibration=is_calibration
        )
    return rating


def _earlier_submission(assignment: Assignment, submission_id: uuid.UUID | None) -> Rating | None:
    if submission_id is None:
        return None
    # Ordered by id, not by the model's default ordering, which joins the assignment, the
    # expert and the campaign.
    return (
        Rating.objects.filter(assignment=assignment, submission_id=submission_id)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def rating_submit(
    *,
    assignment: Assignment,
    value: int,
    comment: str = "",
    flags: Iterable[str] = (),
    active_seconds: float | None = None,
    submission_id: uuid.UUID | None = None,
    simulated: bool = False,
) -> Rating:
    """Record the first rating of an assignment (revision 1).

    `simulated` marks a rating the demo set-up made up rather than one a person gave.

    A repeated submission carrying the same submission_id returns the rating it created, so a
    double click or a retried request never makes a second rating. A different submission on an
    already rated assignment is refused (RatingConflict): a change is `rating_revise`.
    """
    assignment = _locked(assignment)
    # Only a submitted assignment has ratings: before its first one there is nothing to repeat,
    # and the rating is revision 1.
    if assignment.status == AssignmentStatus.SUBMITTED:
        earlier = _earlier_submission(assignment, submission_id)
        if earlier is not None:
            return earlier
    _refuse_if_closed(assignment)
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise RatingConflict(
            _("This unit is already rated; open it again to revise the rating."),
            code="already_submitted",
        )
    is_calibration = _refuse_unless_calibration_allows(assignment, action="submit")
    flags = _check_rating_input(
        assignment=assignment,
        value=value,
        comment=comment,
        flags=flags,
        active_seconds=active_seconds,
        value_required=True,
    )
    now = timezone.now()
    rating = _rating_record(
        assignment=assignment,
        value=value,
        comment=comment,
        flags=flags,
        active_seconds=active_seconds,
        submission_id=submission_id,
        revision=1,
        now=now,
        simulated=simulated,
        is_calibration=is_calibration,
    )
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = now
    assignment.server_seconds = _seconds_since(assignment.opened_at, now)
    assignment.active_seconds = active_seconds
    _clear_draft_and_skip(assignment)
    assignment.save(
        update_fields=[
            "status",
            "submitted_at",
            "server_seconds",
            "active_seconds",
            *DRAFT_AND_SKIP_FIELDS,
        ]
    )
    _after_rating(assignment, value=value, is_calibration=is_calibration)
    return rating


@transaction.atomic
def rating_revise(
    *,
    assignment: Assignment,
    value: int,
    comment: str = "",
    flags: Iterable[str] = (),
    active_seconds: float | None = None,
    submission_id: uuid.UUID | None = None,
) -> Rating:
    """Record a changed rating as the next revision; earlier revisions stay as they were."""
    assignment = _locked(assignment)
    earlier = _earlier_submission(assignment, submission_id)
    if earlier is not None:
        return earlier
    _refuse_if_closed(assignment)
    if assignment.status != AssignmentStatus.SUBMITTED:
        raise RatingConflict(
            _("This unit has no rating to revise yet; submit one first."), code="not_submitted"
        )
    _refuse_unless_calibration_allows(assignment, action="revise")
    flags = _check_rating_input(
        assignment=assignment,
        value=value,
        comment=comment,
        flags=flags,
        active_seconds=active_seconds,
        value_required=True,
    )
    latest = assignment.ratings.aggregate(latest=Max("revision"))["latest"] or 0
    rating = _rating_record(
        assignment=assignment,
        value=value,
        comment=comment,
        flags=flags,
        active_seconds=active_seconds,
        submission_id=submission_id,
        revision=latest + 1,
        now=timezone.now(),
    )
    _clear_draft_and_skip(assignment)
    assignment.save(update_fields=DRAFT_AND_SKIP_FIELDS)
    _after_rating(assignment, value=None, is_calibration=False)
    return rating


# The fields _clear_draft_and_skip resets.
DRAFT_AND_SKIP_FIELDS = (
    "draft_value",
    "draft_comment",
    "draft_flags",
    "draft_saved_at",
    "skip_reason",
    "skip_note",
)


def _clear_draft_and_skip(assignment: Assignment) -> None:
    assignment.draft_value = None
    assignment.draft_comment = ""
    assignment.draft_flags = []
    assignment.draft_saved_at = None
    assignment.skip_reason = ""
    assignment.skip_note = ""


@transaction.atomic
def assignment_skip(*, assignment: Assignment, reason: str, note: str = "") -> Assignment:
    """Set a unit aside with a reason. It leaves the queue's 'left' count; it can be rated later."""
    assignment = _locked(assignment)
    _refuse_if_closed(assignment)
    if assignment.status == AssignmentStatus.SUBMITTED:
        raise RatingConflict(
            _("This unit is already rated and cannot be skipped."), code="already_submitted"
        )
    _refuse_unless_calibration_allows(assignment, action="skip")
    errors: dict[str, list[str]] = {}
    if reason not in SkipReason.values:
        errors["skip_reason"] = [_("Choose a reason for skipping.")]
    if len(note) > 300:
        errors["skip_note"] = [_("At most %(count)s characters.") % {"count": 300}]
    if errors:
        raise ValidationError(errors)
    assignment.status = AssignmentStatus.SKIPPED
    assignment.skip_reason = reason
    assignment.skip_note = note.strip()
    assignment.save(update_fields=["status", "skip_reason", "skip_note"])
    _after_rating(assignment, value=None, is_calibration=False)
    return assignment
