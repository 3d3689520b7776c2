"""Serve the project's OpenAI-compatible mock LLM server (every answer is labelled mock)."""

from __future__ import annotations

import dataclasses
import json

from django.core.management.base import BaseCommand, CommandError

from llmruns.mockserver import MockConfig, serve_forever

_TYPES = {
    "float": float,
    "int": int,
    "int | None": int,
    "str | None": str,
    "dict | None": json.loads,
}


class Command(BaseCommand):
    help = "Serve the mock OpenAI-compatible LLM server, e.g. `mockllm --port 8089 --rate-429 0.1`."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8089)
        for field in dataclasses.fields(MockConfig):
            parser.add_argument(
                "--" + field.name.replace("_", "-"),
                dest=field.name,
                type=_TYPES[str(field.type)],
                default=field.default,
            )

    def handle(self, *args, host: str, port: int, **options) -> None:
        names = {field.name for field in dataclasses.fields(MockConfig)}
        try:
            config = MockConfig(**{name: options[name] for name in names})
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        serve_forever(config, host, port)
