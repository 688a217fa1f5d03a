"""Appending to and verifying the audit chain. Services call `audit_record` inside their transaction."""

import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant works; it names the advisory lock that serialises appends on PostgreSQL.
_AUDIT_LOCK_KEY = 0x5EACEC0  # "peacecert"


def _canonical(entry: dict) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)


def _normalise(data: dict | None) -> dict:
    # Store exactly what gets hashed: Decimals, dates and UUIDs become strings once, here.
    return json.loads(_canonical(data or {}))


def compute_entry_hash(*, sequence, occurred_at, actor_id, actor_label, action, target_type, target_id, data,
                       prev_hash) -> str:
    content = _canonical(
        {
            "sequence": sequence,
            "occurred_at": occurred_at.isoformat(),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "data": data,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, f"system:{actor}"
    return actor.pk, actor.get_username()


def audit_record(*, actor, action: str, target=None, data: dict | None = None) -> AuditEvent:
    """Append one event. `actor` is a user, None (the system) or a string naming a system job."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Serialise appends for the rest of this transaction so concurrent writers queue instead of
                # colliding on the unique prev_hash.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "entry_hash").first()
        sequence = (last["sequence"] + 1) if last else 1
        prev_hash = last["entry_hash"] if last else GENESIS_HASH
        actor_id, actor_label = _actor_fields(actor)
        fields = {
            "sequence": sequence,
            "occurred_at": timezone.now(),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "target_type": target._meta.label_lower if target is not None else "",
            "target_id": str(target.pk) if target is not None else "",
            "data": _normalise(data),
            "prev_hash": prev_hash,
        }
        return AuditEvent.objects.create(entry_hash=compute_entry_hash(**fields), **fields)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_broken_sequence: int | None = None
    problem: str = ""


def audit_chain_verify() -> ChainCheck:
    prev_hash = GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != prev_hash:
            return ChainCheck(False, count, event.sequence, "previous hash does not match the entry before it")
        expected = compute_entry_hash(
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            data=event.data,
            prev_hash=event.prev_hash,
        )
        if expected != event.entry_hash:
            return ChainCheck(False, count, event.sequence, "content does not match its hash")
        prev_hash = event.entry_hash
    return ChainCheck(True, count)
