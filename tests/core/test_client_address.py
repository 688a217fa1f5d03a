"""One function decides a request's address (core.client.client_address); X-Forwarded-For counts only as far as
TRUSTED_PROXY_COUNT of our own proxies, and no other code reads an address on its own."""

import re
from pathlib import Path

from django.test import RequestFactory, override_settings

from core.client import client_address

ROOT = Path(__file__).resolve().parents[2]


def _address(remote="192.0.2.10", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_a_client_supplied_forwarded_for_is_ignored():
    assert _address(forwarded="203.0.113.77") == "192.0.2.10"
    assert _address(forwarded="203.0.113.77, 198.51.100.1") == "192.0.2.10"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_only_the_entry_that_proxy_appended_counts():
    # The client wrote "1.1.1.1, 2.2.2.2"; our proxy appended the socket address it saw: 203.0.113.5.
    assert _address(remote="10.0.0.2", forwarded="1.1.1.1, 2.2.2.2, 203.0.113.5") == "203.0.113.5"
    assert _address(remote="10.0.0.2", forwarded="203.0.113.5") == "203.0.113.5"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_entry_from_the_right_counts():
    assert _address(remote="10.0.0.3", forwarded="6.6.6.6, 203.0.113.5, 10.0.0.2") == "203.0.113.5"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_fewer_entries_than_proxies_or_garbage_fall_back_to_the_socket_address():
    assert _address(remote="10.0.0.3", forwarded="203.0.113.5") == "10.0.0.3"
    assert _address(remote="10.0.0.3", forwarded="evil, not-an-ip") == "10.0.0.3"
    assert _address(remote="10.0.0.3") == "10.0.0.3"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_ports_and_brackets_written_by_proxies_are_stripped():
    assert _address(forwarded="203.0.113.5:51234") == "203.0.113.5"
    assert _address(forwarded="[2001:db8::1]:443") == "2001:db8::/64"


def test_an_ipv6_client_is_counted_per_64_so_it_cannot_rotate_addresses_within_its_prefix():
    assert _address(remote="2001:db8:1:2::1") == _address(remote="2001:db8:1:2:ffff:ffff:ffff:ffff") \
        == "2001:db8:1:2::/64"
    assert _address(remote="2001:db8:1:3::1") != _address(remote="2001:db8:1:2::1")
    assert _address(remote="::ffff:192.0.2.9") == "192.0.2.9"


def test_no_module_reads_a_client_address_except_core_client():
    # Every limit and throttle (logins, admin login, public registry, feedback links, anything new) must key on
    # client_address; DRF's BaseThrottle.get_ident trusts any X-Forwarded-For, REMOTE_ADDR ignores our proxies.
    pattern = re.compile(r"REMOTE_ADDR|HTTP_X_FORWARDED_FOR|X-Forwarded-For|get_ident\(")
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        top = path.parts[len(ROOT.parts)]
        if top in {".venv", "tests", "var", "bench"} or path == ROOT / "core" / "client.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
