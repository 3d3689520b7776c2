"""Create, list and revoke a user's personal API tokens from the command line (for scripts)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from careers.tokens import api_token_create, api_token_revoke, api_tokens


class Command(BaseCommand):
    help = (
        "Personal API tokens: `create USER` prints a new token once (only the token, for "
        "scripts), `list USER` shows the visible keys, `revoke USER KEY` or `revoke USER --all`."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for action in ("create", "list"):
            sub.add_parser(action).add_argument("username")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("username")
        revoke.add_argument("key", nargs="?", help="the visible key (vl_...) shown by `list`")
        revoke.add_argument("--all", action="store_true", help="revoke every token of the user")

    def handle(self, *args, action: str, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if action == "create":
            try:
                _token, text = api_token_create(user=user)
            except (PermissionDenied, ValidationError) as exc:
                raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
            self.stdout.write(text)
        elif action == "list":
            for token in api_tokens(user=user).order_by("-created"):
                self.stdout.write(f"{token.token_key}...  created {token.created:%Y-%m-%d %H:%M}")
        else:
            if not options["all"] and not options["key"]:
                raise CommandError("name the key to revoke (see `list`) or pass --all")
            key = None if options["all"] else options["key"].removesuffix("...")
            count = api_token_revoke(user=user, token_key=key)
            if not count:
                raise CommandError(f"{username} has no token with the key {key!r}")
            self.stdout.write(f"revoked {count} token(s) of {username}")
