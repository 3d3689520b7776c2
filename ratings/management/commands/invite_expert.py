"""Invite an expert: create the account and print the one-time set-password link (no e-mail)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ratings.models import Panel
from ratings.services import expert_invite


class Command(BaseCommand):
    help = (
        "Create an expert account with languages and RIASEC areas; prints a one-time link "
        "where the expert chooses a password."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--languages", nargs="+", required=True, help="Language codes: en zh-hans"
        )
        parser.add_argument("--areas", nargs="+", required=True, help="RIASEC areas: R I A S E C")
        parser.add_argument(
            "--panel", action="append", default=[], help="Panel name (repeatable; created if new)"
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site is served, to print a full link",
        )

    def handle(self, *args, **options) -> None:
        panels = [Panel.objects.get_or_create(name=name)[0] for name in options["panel"]]
        try:
            invitation = expert_invite(
                username=options["username"],
                email=options["email"],
                languages=options["languages"],
                areas=[area.upper() for area in options["areas"]],
                panels=panels,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        link = options["base_url"].rstrip("/") + invitation.set_password_path
        self.stdout.write(
            f"Expert {options['username']} ({invitation.profile.pseudonym}) created. "
            f"One-time set-password link:\n{link}"
        )
