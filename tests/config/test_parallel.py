"""What keeps parallel test processes apart: each pytest-xdist worker's Redis database index,
and the ports the servers tests start listen on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings_test import redis_url_for_worker
from tests.services import free_port


@pytest.mark.parametrize(
    ("url", "number", "expected"),
    [
        ("redis://127.0.0.1:6379/8", 0, "redis://127.0.0.1:6379/8"),
        ("redis://127.0.0.1:6379/8", 1, "redis://127.0.0.1:6379/9"),
        ("redis://127.0.0.1:6379", 2, "redis://127.0.0.1:6379/2"),
        (
            "rediss://:secret@cache.example:6380/3?ssl_cert_reqs=none",
            1,
            "rediss://:secret@cache.example:6380/4?ssl_cert_reqs=none",
        ),
        ("filesystem://localhost//", 3, "filesystem://localhost//"),
        ("file:///srv/results", 1, "file:///srv/results"),
    ],
)
def test_a_worker_moves_the_redis_database_index_by_its_number(url, number, expected):
    assert redis_url_for_worker(url, number) == expected


def test_an_index_past_redis_s_sixteen_databases_is_refused():
    with pytest.raises(ImproperlyConfigured, match="database 16"):
        redis_url_for_worker("redis://127.0.0.1:6379/15", 1)


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound():
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {free_port() for _ in range(20)}
    assert all(10_000 <= port < low for port in ports), ports
    assert len(ports) > 1, "ports are drawn at random, not one fixed port"
    port = ports.pop()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
