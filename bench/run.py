"""`make bench`: measure PeaceCert against the framework floor, in one run, on a throwaway PostgreSQL database.

Benchmarks are not tests: this measures and prints, and never fails on a number. Every HTTP figure is a ratio to a
bare Django view measured in the same run, because these machines are shared and noisy.
"""

import contextlib
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "var" / "bench" / "results.json"
WRK_RUNS = int(os.environ.get("BENCH_WRK_RUNS", "3"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))


# --- throwaway database ---------------------------------------------------------------------------------------

def _throwaway_database_url() -> tuple[str, str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        sys.exit("make bench needs PostgreSQL: set DATABASE_URL=postgres://...")
    name = f"peacecert_bench_{uuid.uuid4().hex[:8]}"
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    return urlunparse(parsed._replace(path=f"/{name}")), admin_url, name


def _admin_sql(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(statement)


# --- HTTP -----------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/bench/bare/", timeout=1)  # noqa: S310 - loopback only
            return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, headers: dict[str, str]) -> dict:
    command = ["wrk", "-t", "2", "-c", str(WRK_CONNECTIONS), "-d", f"{WRK_SECONDS}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99_value, p99_unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99_ms": float(p99_value) * _UNITS[p99_unit], "non_2xx": int(non_2xx.group(1)) if non_2xx
            else 0, "socket_errors": errors.group(1) if errors else ""}


def bench_http(base: str, targets: list[tuple[str, str, dict]]) -> dict:
    results = {}
    for name, path, headers in targets:
        _wrk(base + path, headers)  # warm-up: connections, caches, imports
        runs = [_wrk(base + path, headers) for _ in range(WRK_RUNS)]
        results[name] = {
            "path": path,
            "rps": statistics.median(r["rps"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "non_2xx": sum(r["non_2xx"] for r in runs),
            "socket_errors": [r["socket_errors"] for r in runs if r["socket_errors"]],
        }
    floor = results["bare Django view"]["rps"]
    for row in results.values():
        row["ratio"] = round(row["rps"] / floor, 3)
    return results


# --- main -----------------------------------------------------------------------------------------------------

def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk (make bench does this)")
    db_url, admin_url, db_name = _throwaway_database_url()
    _admin_sql(admin_url, f'CREATE DATABASE "{db_name}"')
    os.environ.update({"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "false",
                       "CELERY_BROKER_URL": "", "DJANGO_ENV": "development",
                       # wrk is one address sending thousands of requests a second: lift the public throttle.
                       "PUBLIC_REGISTRY_REQUESTS_PER_MINUTE": "1000000000"})
    _use_shared_cache()
    started = time.time()
    results: dict = {"machine": _machine(), "cache": _cache_in_use(),
                     "started_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    gunicorn = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from bench import scenarios

        call_command("migrate", verbosity=0)
        world = scenarios.seed()
        gunicorn, base = _start_gunicorn({**os.environ})
        results["http"] = bench_http(base, scenarios.http_targets(world))
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        gunicorn = None
        for title, function in scenarios.IN_PROCESS:
            print(f"... {title}", flush=True)
            try:
                results[title] = function(world)
            except scenarios.NotAvailable as reason:
                results[title] = {"skipped": str(reason)}
            except Exception as error:  # noqa: BLE001 - one broken section must not lose the others' figures
                import traceback

                traceback.print_exc()
                results[title] = {"failed": f"{type(error).__name__}: {str(error)[:300]}"}
                from django.db import connection

                connection.close()  # a failed statement may have left the connection unusable
    finally:
        if gunicorn is not None:
            gunicorn.kill()
        from django.db import connections

        connections.close_all()
        _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    results["seconds"] = round(time.time() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    _print(results)
    from bench.report import readme_update

    if readme_update(json.loads(RESULTS.read_text()), ROOT / "README.md"):
        print("README.md's Performance section now shows this run.")


def _use_shared_cache() -> None:
    """Serve as production does: a Redis cache shared by the gunicorn workers (rate limits, cached public answers;
    with a per-process cache the public answers are not cached at all). BENCH_CACHE_URL names it; without a
    reachable Redis the run goes on with the per-process cache and says so."""
    url = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except Exception as error:  # noqa: BLE001 - any failure means: no shared cache for this run
        print(f"(no shared cache at {url}: {error}; public answers are not cached in this run)")
        return
    os.environ["CACHE_URL"] = url


def _cache_in_use() -> str:
    url = os.environ.get("CACHE_URL", "")
    return f"shared ({urlparse(url).scheme})" if url else "per-process (public answers not cached)"


def _machine() -> dict:
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        memory = Path("/proc/meminfo").read_text().splitlines()[0].split(":")[1].strip()
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "memory": memory}


def _print(results: dict) -> None:
    print(f"\nPeaceCert bench — {results['started_at']} — {results['machine']}")
    print(f"\nHTTP (gunicorn 2 workers, wrk 2 threads x {WRK_CONNECTIONS} connections, "
          f"median of {WRK_RUNS} x {WRK_SECONDS}s):")
    print(f"  {'endpoint':<42} {'req/s':>9} {'ratio':>7} {'p99 ms':>8} {'non-2xx':>8}")
    for name, row in results["http"].items():
        print(f"  {name:<42} {row['rps']:>9.0f} {row['ratio']:>7.2f} {row['p99_ms']:>8.2f} {row['non_2xx']:>8}")
    for title, value in results.items():
        if title in {"http", "machine", "started_at", "seconds"}:
            continue
        print(f"\n{title}:")
        for key, item in (value.items() if isinstance(value, dict) else [("value", value)]):
            print(f"  {key}: {item}")
    print(f"\nWritten to {RESULTS.relative_to(ROOT)} in {results['seconds']} s.")


if __name__ == "__main__":
    main()
