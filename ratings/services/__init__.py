"""Writes of the rating app: experts, campaigns of blind units, drafts, ratings and skips.

Every function here is keyword-only and atomic. Refusals are `ValidationError`s whose message
names the field and the reason; a `RatingConflict` (a subclass) means the request was well formed
but the assignment's state forbids it (closed campaign, already submitted), which pages and JSON
endpoints answer with 409 rather than 400.

- `ratings.services.experts`: inviting experts and their set-password link;
- `ratings.services.campaigns`: creating a campaign of blind units, closing and reopening it;
- `ratings.services.rating`: an expert's work on one assignment: open, draft, submit, revise,
  skip.
- `ratings.services.review`: the review gate of redactions: approve or edit a unit, open a
  campaign (or skip its review), an expert's flag back to the review list.

The public names are re-exported here; import them from ``ratings.services``.
"""

from __future__ import annotations

from ratings.services.campaigns import (
    DEFAULT_SCALE_SLUG,
    GoldUnit,
    campaign_close,
    campaign_create,
    campaign_delete,
    campaign_reopen,
    identity_mention_error,
    identity_mentions,
    panel_delete,
)
from ratings.services.experts import (
    SUPPORTED_LANGUAGES,
    ExpertInvitation,
    expert_invite,
    expert_set_password_path,
)
from ratings.services.rating import (
    MAX_ACTIVE_SECONDS,
    MAX_COMMENT_LENGTH,
    RatingConflict,
    assignment_open,
    assignment_skip,
    draft_save,
    rating_revise,
    rating_submit,
)
from ratings.services.review import (
    campaign_open,
    campaign_review_skip,
    unit_flag_for_review,
    unit_review_save,
)

__all__ = [
    "DEFAULT_SCALE_SLUG",
    "MAX_ACTIVE_SECONDS",
    "MAX_COMMENT_LENGTH",
    "SUPPORTED_LANGUAGES",
    "ExpertInvitation",
    "GoldUnit",
    "RatingConflict",
    "assignment_open",
    "campaign_delete",
    "panel_delete",
    "assignment_skip",
    "campaign_close",
    "campaign_create",
    "campaign_open",
    "campaign_review_skip",
    "campaign_reopen",
    "draft_save",
    "expert_invite",
    "expert_set_password_path",
    "identity_mention_error",
    "identity_mentions",
    "rating_revise",
    "rating_submit",
    "unit_flag_for_review",
    "unit_review_save",
]
