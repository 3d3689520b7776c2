"""gunicorn in production: `gunicorn config.wsgi -c config/gunicorn.conf.py -b ADDRESS:PORT`.

A request to the expert pages is almost all Python (templates, the ORM), which holds the GIL: a
process runs one request at a time however many threads it has, so processes keep the cores
busy, and a second thread per process only covers a request's waits on PostgreSQL. Options given
on the command line override these.
"""

from __future__ import annotations

import os

try:
    cores = len(os.sched_getaffinity(0))  # the cores this process may run on (containers, taskset)
except AttributeError:  # not Linux
    cores = os.cpu_count() or 1

worker_class = "gthread"
workers = 2 * cores + 1
threads = 2

# The application, and everything its URLs import, is loaded once in the master process and
# shared by the workers it forks: about a third of the memory, and no worker spends seconds of
# CPU importing it on its first request. New code therefore needs a restart, not a HUP.
preload_app = True


def when_ready(server: object) -> None:
    # In the master, after the application is loaded and before the first worker is forked.
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    connections.close_all()  # a worker must never share a database connection with another
