"""The development environment file: what lets every README command run in a new terminal.

`make setup` writes `.env.development` once per checkout: DJANGO_DEBUG=1 and a secret key made
for this checkout. `manage.py` reads it, so `manage.py changepassword`, `study`, `invite_expert`
and the rest work after `make setup` with nothing set by hand, and sign the same links and
sessions as the server `make run` starts (its worker and web processes inherit the values).

Production never reads it: gunicorn and Celery load `config.wsgi` and `config.celery_app`, which
do not look at it, and `manage.py` ignores it whenever DJANGO_DEBUG is set off (production runs
with DJANGO_DEBUG=0). A variable set in the environment, or in `.env`, always wins over it.

Run as a script (`python config/devenv.py`, what `make setup` does) it writes the file if it is
missing; it needs nothing but the standard library.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEVELOPMENT_ENV_FILE = BASE_DIR / ".env.development"
# django-environ's true values; anything else set in DJANGO_DEBUG means "off".
TRUE_VALUES = {"true", "on", "ok", "y", "yes", "1"}

HEADER = """\
# DEVELOPMENT ONLY. Written by `make setup` for this checkout; never copy it to a server.
# manage.py reads it unless DJANGO_DEBUG is set off; gunicorn and Celery never read it.
# Variables set in the environment or in .env win over it. Delete it for a new secret
# (signed-in sessions and set-password links then stop working).
"""


def development_env_write(path: Path = DEVELOPMENT_ENV_FILE) -> bool:
    """Write the file with a new secret unless it exists; True when it was written."""
    if path.exists():
        return False
    text = f"{HEADER}DJANGO_DEBUG=1\nDJANGO_SECRET_KEY=dev-{secrets.token_urlsafe(40)}\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return True


def _declared_debug() -> str | None:
    """DJANGO_DEBUG from the environment, else from `.env` (which the settings also read)."""
    if "DJANGO_DEBUG" in os.environ:
        return os.environ["DJANGO_DEBUG"]
    operator_file = BASE_DIR / ".env"
    if operator_file.exists():
        for line in operator_file.read_text().splitlines():
            name, _sep, value = line.partition("=")
            if name.strip().removeprefix("export ").strip() == "DJANGO_DEBUG":
                return value.strip().strip("'\"")
    return None


def development_env_load(path: Path = DEVELOPMENT_ENV_FILE) -> bool:
    """Put the file's variables into the environment where unset; True when it was read."""
    if not path.exists():
        return False
    debug = _declared_debug()
    if debug is not None and debug.strip().lower() not in TRUE_VALUES:
        return False
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _sep, value = line.partition("=")
        os.environ.setdefault(name.strip(), value.strip())
    return True


if __name__ == "__main__":
    if development_env_write():
        sys.stdout.write(
            f"wrote {DEVELOPMENT_ENV_FILE.name} (development only: debug on, a new secret)\n"
        )
