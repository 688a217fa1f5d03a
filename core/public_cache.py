"""Public answers (the registry, verification, eligibility), cached until anything they are read from changes.

The rule (issue #16): a revocation must show on the very next public request. So no answer is kept for a time
and hoped fresh; every answer is stored with the *generation* it was computed under, and any committed write to a
table a public answer is read from moves the generation on, which retires every stored answer at once.

How a write is seen
    A database execute wrapper on every connection (installed when the connection opens) looks at each statement
    after it ran: an INSERT, UPDATE, DELETE, TRUNCATE or COPY whose text names a watched table (the apps register
    theirs with `public_answer_sources`) schedules one generation bump for when the transaction commits. So the
    services, the admin console, bulk sweeps, raw SQL run through Django, Celery workers and management commands
    are all covered without each remembering to invalidate. (A statement typed into psql is not: run
    `manage.py shell -c "from core.public_cache import public_answers_changed; public_answers_changed()"` after.)

Why this is safe under concurrency
    * The bump runs on commit, inside the writing request, so the response that reports a revocation is sent
      after the generation moved: any request that starts after it reads the new generation.
    * A reader tags what it stores with the generation it read *before* it queried. If a write commits while it
      computes, its entry carries the old generation and is never served.
    * A connection with uncommitted writes to a watched table neither reads nor stores cached answers (it would
      otherwise serve or store data that may still roll back).
    * When the generation key is missing (first use, eviction, a cache flush) a new one is made from the clock,
      never 0, so entries stored under a lost generation cannot come back to life.
    * Any cache error falls back to the database: the cache can make answers faster, never wrong or unavailable.

Scope: the answer is keyed by the function, its arguments and today's date (statuses such as "expired" depend on
the date). PUBLIC_ANSWER_CACHE_SECONDS bounds an entry's life (0 turns caching off); by default it is on only with
a cache shared by every process (Redis, memcached), since a per-process cache would not see another process's
bumps.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.utils import timezone

logger = logging.getLogger(__name__)

GENERATION_KEY = "public-answers:generation"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "COPY", "WITH")
_watched_tables: set[str] = set()


def public_answer_sources(*models) -> None:
    """Register the tables public answers are read from (called from the apps' ready())."""
    _watched_tables.update(model._meta.db_table for model in models)


def public_answers_changed() -> None:
    """Retire every cached public answer (what a commit touching a watched table runs)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet: start one that no earlier entry can carry
        cache.set(GENERATION_KEY, time.time_ns(), None)
    except Exception:  # noqa: BLE001 - the cache being down must not fail the write that already committed
        logger.exception("could not retire cached public answers; they expire within %ss",
                         settings.PUBLIC_ANSWER_CACHE_SECONDS)


def _bump_pending(connection) -> bool:
    return any(callback is public_answers_changed for _, callback, _ in connection.run_on_commit)


def _writes_watched_table(sql: str) -> bool:
    verb = sql[:16].lstrip()[:8].upper()  # a slice first: every statement passes here, reads included
    if not verb.startswith(_WRITE_VERBS):
        return False
    if verb.startswith("WITH") and not any(w in sql.upper() for w in ("INSERT ", "UPDATE ", "DELETE ")):
        return False
    return any(table in sql for table in _watched_tables)


def _watch_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    connection = context["connection"]
    if _writes_watched_table(sql) and not _bump_pending(connection):
        # After the statement ran: in autocommit, on_commit runs the bump at once, after the write is visible.
        transaction.on_commit(public_answers_changed, using=connection.alias)
    return result


def _install_watch(sender, connection, **kwargs):
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


connection_created.connect(_install_watch, dispatch_uid="core.public_cache.watch_writes")


def _current_generation(found: dict):
    generation = found.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(GENERATION_KEY)
    return generation


def public_answer(name: str):
    """Decorate a public selector (keyword arguments only, a picklable result) to cache its answers as above."""

    def decorate(function):
        @functools.wraps(function)
        def cached(**kwargs):
            seconds = settings.PUBLIC_ANSWER_CACHE_SECONDS
            if not seconds or _bump_pending(connection):
                return function(**kwargs)
            arguments = repr(sorted(kwargs.items())) + timezone.localdate().isoformat()
            key = f"public-answers:{name}:{hashlib.sha256(arguments.encode()).hexdigest()}"
            try:
                found = cache.get_many([GENERATION_KEY, key])
                generation = _current_generation(found)
            except Exception:  # noqa: BLE001 - see the module docstring: fall back to the database
                return function(**kwargs)
            entry = found.get(key)
            if entry is not None and generation is not None and entry[0] == generation:
                return entry[1]
            answer = function(**kwargs)
            if generation is not None:
                try:
                    cache.set(key, (generation, answer), seconds)
                except Exception:  # noqa: BLE001
                    logger.warning("could not store a public answer", exc_info=True)
            return answer

        return cached

    return decorate
