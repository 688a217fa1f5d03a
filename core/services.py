from django.utils import timezone

from .models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    # Heartbeats are operational telemetry, not a business write: they are not audited.
    heartbeat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
    return heartbeat
