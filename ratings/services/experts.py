"""Experts: inviting one (an account without a password) and the one-time set-password link."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from careers.accounts import role_groups_ensure
from careers.models import Area
from careers.permissions import EXPERT
from ratings.models import ExpertProfile, Panel

SUPPORTED_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class ExpertInvitation:
    """What `expert_invite` returns: the new profile and the link to send the expert."""

    profile: ExpertProfile
    set_password_path: str


def expert_set_password_path(*, user) -> str:
    """A one-time link to choose a password: Django's reset token, void once a password is set."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("set-password", kwargs={"uidb64": uidb64, "token": token})


def _check_languages_and_areas(
    *, languages: Sequence[str], areas: Sequence[str], errors: dict[str, list[str]]
) -> None:
    unknown_languages = sorted(set(languages) - set(SUPPORTED_LANGUAGES))
    if not languages:
        errors.setdefault("languages", []).append("choose at least one language")
    elif unknown_languages:
        errors.setdefault("languages", []).append(
            f"unsupported languages {unknown_languages}; supported: {list(SUPPORTED_LANGUAGES)}"
        )
    unknown_areas = sorted(set(areas) - set(Area.values))
    if not areas:
        errors.setdefault("areas", []).append("choose at least one RIASEC area")
    elif unknown_areas:
        errors.setdefault("areas", []).append(
            f"unknown areas {unknown_areas}; valid: {list(Area.values)}"
        )


@transaction.atomic
def expert_invite(
    *,
    username: str,
    languages: Sequence[str],
    areas: Sequence[str],
    email: str = "",
    panels: Iterable[Panel] = (),
) -> ExpertInvitation:
    """Create an expert's account without a password and return a one-time set-password link."""
    errors: dict[str, list[str]] = {}
    username = username.strip()
    user_model = get_user_model()
    if not username:
        errors["username"] = ["a username is required"]
    elif user_model.objects.filter(username=username).exists():
        errors["username"] = [f"the username {username!r} is already taken"]
    _check_languages_and_areas(languages=languages, areas=areas, errors=errors)
    if errors:
        raise ValidationError(errors)
    user = user_model(username=username, email=email.strip())
    user.set_unusable_password()
    user.save()
    user.groups.add(role_groups_ensure()[EXPERT])
    profile = ExpertProfile.objects.create(
        user=user, languages=list(dict.fromkeys(languages)), areas=list(dict.fromkeys(areas))
    )
    for panel in panels:
        panel.experts.add(profile)
    return ExpertInvitation(profile=profile, set_password_path=expert_set_password_path(user=user))
