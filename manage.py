#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Development only: the file `make setup` writes (see config/devenv.py); ignored when
    # DJANGO_DEBUG is set off, as in production.
    from config.devenv import development_env_load

    development_env_load()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
