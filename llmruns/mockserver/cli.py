"""Running the mock LLM server on its own: `python -m llmruns.mockserver --port 8089 ...`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import threading
from collections.abc import Sequence

from llmruns.mockserver.config import MockConfig
from llmruns.mockserver.server import MockLLMServer

_ARGUMENT_TYPES = {
    "float": float,
    "int": int,
    "int | None": int,
    "str | None": str,
    "dict | None": json.loads,  # e.g. --answer-distributions '{"mock-alpha": {"*": [...]}}'
}


def serve_forever(config: MockConfig, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM; for a management command or the command line."""
    stopped = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stopped.set())
    server = MockLLMServer(config, host=host, port=port).start()
    # Scripts started with --port 0 read the address from this line.
    print(f"mock LLM server (every answer is mock) listening on {server.base_url}", flush=True)
    try:
        while not stopped.wait(timeout=1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def parse_arguments(argv: Sequence[str] | None = None) -> tuple[MockConfig, str, int]:
    """The configuration, host and port given on a command line (one flag per config field)."""
    parser = argparse.ArgumentParser(
        prog="python -m llmruns.mockserver",
        description="OpenAI-compatible mock LLM server; its answers are simulated and labelled mock.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    for config_field in dataclasses.fields(MockConfig):
        parser.add_argument(
            "--" + config_field.name.replace("_", "-"),
            dest=config_field.name,
            type=_ARGUMENT_TYPES[str(config_field.type)],
            default=config_field.default,
        )
    arguments = vars(parser.parse_args(argv))
    host, port = arguments.pop("host"), arguments.pop("port")
    try:
        config = MockConfig(**arguments)
    except ValueError as error:
        parser.error(str(error))
    return config, host, port


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    config, host, port = parse_arguments(argv)
    serve_forever(config, host, port)
