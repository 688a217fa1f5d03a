"""Run one callable in N threads released together by a barrier; every thread closes its DB connections."""

import threading
from dataclasses import dataclass, field

from django.db import connections

JOIN_TIMEOUT_SECONDS = 120


@dataclass
class Outcomes:
    results: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # exceptions that escaped: each would have been a 5xx


def run_together(n: int, work) -> Outcomes:
    """Call work(i) for i in range(n), each in its own thread, all released at once."""
    barrier = threading.Barrier(n, timeout=60)
    outcomes = Outcomes()
    lock = threading.Lock()

    def target(index):
        try:
            barrier.wait()
            result = work(index)
            with lock:
                outcomes.results.append(result)
        except Exception as exc:  # noqa: BLE001 - collected; the tests assert there are none
            with lock:
                outcomes.errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
    assert not any(t.is_alive() for t in threads), "a racing thread hung"
    return outcomes


def http_status_and_code(response) -> tuple[int, str]:
    body = response.json() if response.get("Content-Type", "").startswith("application/json") else {}
    return response.status_code, (body.get("code", "") if isinstance(body, dict) else "")
