"""Personal API tokens for researchers and study admins (django-rest-knox underneath).

A token is stored as a digest only: its text is returned once, when it is created, and never
again. It is valid until it is revoked; a deactivated user's tokens stop working (knox checks
`is_active` on every request). Scripts send `Authorization: Token vl_...`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from knox.models import AuthToken

from careers.permissions import is_researcher

# One person needs a few (a laptop, a server, a notebook), not hundreds.
MAX_TOKENS_PER_USER = 10


def api_tokens(*, user: Any) -> QuerySet[AuthToken]:
    """The user's tokens, newest first; only their short visible key, never the secret."""
    return AuthToken.objects.filter(user=user).only("digest", "token_key", "created", "expiry")


@transaction.atomic
def api_token_create(*, user: Any) -> tuple[AuthToken, str]:
    """A new token for a researcher or study admin: the record and the token text (shown once)."""
    if not user.is_active or not is_researcher(user):
        raise PermissionDenied("API tokens are for active researchers and study admins.")
    if AuthToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            {
                "token": [
                    _("at most %(count)s tokens per user; revoke one first")
                    % {"count": MAX_TOKENS_PER_USER}
                ]
            }
        )
    return AuthToken.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, user: Any, token_key: str | None = None) -> int:
    """Revoke the user's token with this visible key, or all of them; returns how many."""
    tokens = AuthToken.objects.filter(user=user)
    if token_key is not None:
        tokens = tokens.filter(token_key=token_key)
    deleted, _by_model = tokens.delete()
    return deleted
