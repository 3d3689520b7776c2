"""Role groups and the demo accounts of the embedded set-up (development only)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from careers.permissions import EXPERT, RESEARCHER, ROLE_GROUPS, STUDY_ADMIN


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str | None  # None when the account already existed (its password is unchanged)


def role_groups_ensure() -> dict[str, Group]:
    return {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS}


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """An admin, a researcher and two experts. New passwords are random and returned once.

    The experts' profiles belong to the ratings app (`ratings.demo.demo_accounts_ensure`).
    """
    groups = role_groups_ensure()
    user_model = get_user_model()
    wanted = [
        ("admin", STUDY_ADMIN),
        ("researcher", RESEARCHER),
        ("expert1", EXPERT),
        ("expert2", EXPERT),
    ]
    accounts = []
    for username, role in wanted:
        user, created = user_model.objects.get_or_create(username=username)
        password = None
        if created:
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.is_staff = role == STUDY_ADMIN
            user.is_superuser = role == STUDY_ADMIN
            user.save()
        user.groups.add(groups[role])
        accounts.append(DemoAccount(username=username, role=role, password=password))
    return accounts
