"""Wait on a condition with a deadline instead of sleeping a fixed time."""

import time

import pytest


def wait_until(predicate, *, timeout: float = 60, interval: float = 0.2, what: str = "the condition",
               still_running=None, describe=None):
    """Poll predicate() every `interval` seconds until it returns something true (which is returned), or fail the
    test after `timeout` seconds. Optional: `still_running()` is called on every poll and may assert (e.g. that a
    worker subprocess has not exited); `describe()` adds context to the failure message (e.g. the worker's log)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if still_running is not None:
            still_running()
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}" + (f"\n{describe()}" if describe else ""))
        time.sleep(interval)
