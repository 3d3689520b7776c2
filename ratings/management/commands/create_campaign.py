"""Create a rating campaign from a finished run (the same service as the API and the admin)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from careers.models import Scale
from llmruns.models import ModelEndpoint, Run
from ratings.models import Panel
from ratings.services import GoldUnit, campaign_create


def _gold(entry: str) -> GoldUnit:
    try:
        trial_id, low, high = (int(part) for part in entry.split(":"))
    except ValueError as exc:
        raise CommandError(f"--gold {entry!r}: expected TRIAL:MIN:MAX, e.g. 42:4:5") from exc
    return GoldUnit(trial_id=trial_id, expected_min=low, expected_max=high)


class Command(BaseCommand):
    help = (
        "Create a campaign of blind units from a finished run's work samples and assign them "
        "to a panel's experts. Prints the campaign id, unit and assignment counts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--run", type=int, required=True, help="Run id")
        parser.add_argument("--panel", required=True, help="Panel name")
        parser.add_argument("--endpoints", nargs="+", help="Endpoint names (default: the run's)")
        parser.add_argument("--languages", nargs="+", help="Language codes (default: the run's)")
        parser.add_argument("--areas", nargs="+", help="RIASEC areas (default: all)")
        parser.add_argument("--samples-per-cell", type=int, default=1)
        parser.add_argument("--raters-per-unit", type=int, default=3)
        parser.add_argument("--scale", default=None, help="Scale slug (default: competence)")
        parser.add_argument("--instructions-en", default="")
        parser.add_argument("--instructions-zh", default="")
        parser.add_argument(
            "--gold", nargs="+", default=[], type=_gold, help="Gold units as TRIAL:MIN:MAX"
        )
        parser.add_argument(
            "--any-expertise",
            action="store_true",
            help="Assign units to experts outside their areas too (languages still match)",
        )
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--skip-review",
            action="store_true",
            help="Open at once without reviewing the redactions (recorded on the campaign)",
        )

    def handle(self, *args, **options) -> None:
        try:
            run = Run.objects.get(pk=options["run"])
            panel = Panel.objects.get(name=options["panel"])
        except (Run.DoesNotExist, Panel.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        endpoints = None
        if options["endpoints"]:
            endpoints = list(ModelEndpoint.objects.filter(name__in=options["endpoints"]))
            unknown = set(options["endpoints"]) - {endpoint.name for endpoint in endpoints}
            if unknown:
                raise CommandError(f"unknown endpoints: {sorted(unknown)}")
        scale = None
        if options["scale"]:
            scale = Scale.objects.filter(
                instrument=run.instrument_id, slug=options["scale"]
            ).first()
            if scale is None:
                raise CommandError(f"the run's instrument has no scale {options['scale']!r}")
        instructions = {
            code: text
            for code, text in (
                ("en", options["instructions_en"]),
                ("zh-hans", options["instructions_zh"]),
            )
            if text
        }
        try:
            campaign = campaign_create(
                name=options["name"],
                run=run,
                panel=panel,
                endpoints=endpoints,
                languages=options["languages"],
                areas=[area.upper() for area in options["areas"]] if options["areas"] else None,
                samples_per_cell=options["samples_per_cell"],
                raters_per_unit=options["raters_per_unit"],
                scale=scale,
                instructions=instructions,
                gold=options["gold"],
                match_expertise=not options["any_expertise"],
                seed=options["seed"],
                skip_review=options["skip_review"],
            )
        except ValidationError as exc:
            by_field = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            problems = "; ".join(
                f"{field}: {message}"
                for field, messages in by_field.items()
                for message in messages
            )
            raise CommandError(f"campaign refused: {problems}") from exc
        self.stdout.write(
            f"Campaign {campaign.pk} {campaign.name!r}: {campaign.units.count()} units, "
            f"{campaign.assignments.count()} assignments, seed {campaign.seed}, status "
            f"{campaign.status}."
        )
