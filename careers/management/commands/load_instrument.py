"""Load (or update) an instrument from its YAML data file; refuses incomplete data."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from careers.services import DEFAULT_INSTRUMENT_FILE, InstrumentDataError, instrument_load_file


class Command(BaseCommand):
    help = "Load an instrument (items, texts, scales, prompt templates) from a YAML data file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_INSTRUMENT_FILE))

    def handle(self, *args, path: str, **options) -> None:
        try:
            instrument = instrument_load_file(path=path)
        except InstrumentDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {instrument}: {instrument.items.count()} items in {', '.join(instrument.languages)}"
            )
        )
