"""Profile one request loop in-process: `python -m bench.profile_requests [loops]` (PostgreSQL at DATABASE_URL).

Uses a throwaway database like `make bench`, seeds the same world, then runs the authenticated officer detail and
the public registry lookup through Django's test client under cProfile, printing per-request time, queries per
request, and the top functions by cumulative time. Not part of `make bench` (profiling slows every call).
"""

import cProfile
import io
import os
import pstats
import sys
import time

from bench.run import _admin_sql, _throwaway_database_url


def _profile(client, path: str, headers: dict, loops: int) -> None:
    from django.db import connection

    for _ in range(20):
        assert client.get(path, **headers).status_code == 200
    captured = []

    def capture(execute, sql, params, many, context):
        captured.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        client.get(path, **headers)
    started = time.perf_counter()
    for _ in range(loops):
        client.get(path, **headers)
    plain_ms = (time.perf_counter() - started) * 1000 / loops
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(loops):
        client.get(path, **headers)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    print(f"\n=== {path}: {plain_ms:.3f} ms/request unprofiled, {len(captured)} queries")
    for sql in captured:
        print("   ", sql[:300])
    print(out.getvalue())


def token_binding(user, token: str, loops: int = 3000) -> dict:
    """Authentication alone, before/after: simplejwt's ORM user lookup + the fingerprint check (the old path) vs the
    precompiled one-query loader (agencies.auth), same token, same connection."""
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.tokens import AccessToken

    from agencies.auth import SessionBoundJWTAuthentication, _token_matches_session

    validated = AccessToken(token)
    old, new = JWTAuthentication(), SessionBoundJWTAuthentication()

    def old_path():
        assert _token_matches_session(validated, old.get_user(validated))

    timings = {}
    for name, function in (("ORM get + fingerprint (before)", old_path),
                           ("precompiled row + fingerprint (after)", lambda: new.get_user(validated))):
        for _ in range(100):
            function()
        started = time.perf_counter()
        for _ in range(loops):
            function()
        timings[name] = round((time.perf_counter() - started) * 1e6 / loops, 1)
    started = time.perf_counter()
    for _ in range(loops):
        AccessToken(token)
    timings["token decode + signature check"] = round((time.perf_counter() - started) * 1e6 / loops, 1)
    print("\n=== authentication, microseconds per call:", timings)
    return timings


def main() -> None:
    loops = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    db_url, admin_url, db_name = _throwaway_database_url()
    _admin_sql(admin_url, f'CREATE DATABASE "{db_name}"')
    os.environ.update({"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "false",
                       "CELERY_BROKER_URL": "", "DJANGO_ENV": "development",
                       "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE": "1000000000"})
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client

        from bench import scenarios

        call_command("migrate", verbosity=0)
        world = scenarios.seed()
        client = Client()
        token = scenarios._token(world["admin"])
        token_binding(world["admin"], token)
        _profile(client, f"/api/v1/officers/{world['officer'].pk}/", {"HTTP_AUTHORIZATION": f"Bearer {token}"}, loops)
        _profile(client, "/api/v1/officers/?page_size=20", {"HTTP_AUTHORIZATION": f"Bearer {token}"}, loops)
        _profile(client, "/api/v1/public/officers/?q=B-000007", {}, loops)
        _profile(client, "/bench/bare/", {}, loops)
    finally:
        from django.db import connections

        connections.close_all()
        _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
