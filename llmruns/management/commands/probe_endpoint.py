"""Probe a model endpoint's capabilities and store them: `manage.py probe_endpoint NAME`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from llmruns.models import ModelEndpoint
from llmruns.services.capabilities import endpoint_probe


class Command(BaseCommand):
    help = (
        "Send a few cheap requests to a model endpoint and store what it supports "
        "(system role, response_format, logprobs, seed, temperature, top_p, token limit)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the endpoint's name")

    def handle(self, *args, name: str, **options) -> None:
        try:
            endpoint = ModelEndpoint.objects.get(name=name)
        except ModelEndpoint.DoesNotExist as exc:
            raise CommandError(f"no endpoint named {name!r}") from exc
        endpoint = endpoint_probe(endpoint=endpoint)
        results = endpoint.capabilities["results"]
        self.stdout.write(
            f"{endpoint.name} ({endpoint.model}), probed {endpoint.probed_at:%Y-%m-%d %H:%M}"
        )
        for capability, result in results.items():
            mark = {True: "yes", False: "no ", None: "?  "}[result["supported"]]
            error = f"  [{result['status']}] {result['error'][:160]}" if result["error"] else ""
            self.stdout.write(f"  {mark} {capability}{error}")
        self.stdout.write(f"  token limit parameter: {endpoint.token_limit_param}")
        undecided = endpoint.capabilities.get("undecided") or []
        if undecided:
            self.stdout.write(
                f"  ? undecided (rate limited or no answer): {', '.join(undecided)}; "
                "their flags are kept; probe again later"
            )
