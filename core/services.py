from django.utils import timezone

from .models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    # Heartbeats are operational telemetry, not a business write: they are not audited.
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
    return heartbeat


def model_update_prepare(instance, data: dict, fields: tuple[str, ...]) -> dict:
    """Set the allowed fields that differ on `instance` (unsaved) and return what changed as
    {field: {"from": old, "to": new}} — the diff the audit entry records. The caller validates and saves with
    `update_fields=[*changes]` inside its transaction."""
    changes = {}
    for name, value in data.items():
        if name in fields and getattr(instance, name) != value:
            changes[name] = {"from": getattr(instance, name), "to": value}
            setattr(instance, name, value)
    return changes
