"""Create the demo accounts (development only) and print new passwords once."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ratings.demo import demo_accounts_ensure


class Command(BaseCommand):
    help = "Create an admin, a researcher and two experts for the demo; prints new passwords once."

    def handle(self, *args, **options) -> None:
        accounts = demo_accounts_ensure()
        for account in accounts:
            shown = account.password or "(unchanged)"
            self.stdout.write(f"  {account.role:<12} {account.username:<12} {shown}")
        if any(account.password for account in accounts):
            self.stdout.write(
                "  Passwords are shown this once; "
                "`.venv/bin/python manage.py changepassword USER` sets a new one."
            )
