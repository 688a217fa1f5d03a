"""The one thread-race harness: run calls in threads released together by a barrier.

Every thread closes its database connections when it is done, so a transactional test can flush afterwards. An
exception that escapes a call is collected in `Outcomes.errors` (in a view, each would have been a 5xx); a caller that
expects refusals catches them inside its work function and returns what it wants to count.
"""

import threading
from dataclasses import dataclass, field

from django.db import connections

BARRIER_TIMEOUT_SECONDS = 60
JOIN_TIMEOUT_SECONDS = 120


@dataclass
class Outcomes:
    results: list = field(default_factory=list)  # in the order the calls finished
    errors: list = field(default_factory=list)  # exceptions that escaped a call


def run_together(n: int, work, *, threads: int | None = None) -> Outcomes:
    """Call work(i) for i in range(n). With `threads` below n, that many threads share the calls (thread t makes
    calls t, t + threads, ...), so a test can make many calls without one database connection per call; the
    threads start their first calls at the same moment either way."""
    count = min(n, threads or n)
    barrier = threading.Barrier(count, timeout=BARRIER_TIMEOUT_SECONDS)
    outcomes = Outcomes()
    lock = threading.Lock()

    def target(first):
        try:
            barrier.wait()
            for index in range(first, n, count):
                try:
                    result = work(index)
                except Exception as exc:  # noqa: BLE001 - collected; the tests assert on them
                    with lock:
                        outcomes.errors.append(exc)
                else:
                    with lock:
                        outcomes.results.append(result)
        except threading.BrokenBarrierError as exc:
            with lock:
                outcomes.errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=target, args=(t,), daemon=True) for t in range(count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=JOIN_TIMEOUT_SECONDS)
    assert not any(t.is_alive() for t in pool), "a racing thread hung"
    return outcomes


def run_each_together(items, work) -> Outcomes:
    """Call work(item) for every item, each in its own thread, all released at once."""
    items = list(items)
    return run_together(len(items), lambda index: work(items[index]))
