from django.db import models


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every write a service makes.

    Each entry stores the SHA-256 of its canonical content together with the previous entry's hash, so editing or
    deleting any entry breaks every hash after it (`manage.py verify_audit_chain` finds the first break). On
    PostgreSQL a trigger also refuses UPDATE, DELETE and TRUNCATE. The actor is stored as a plain id and label,
    not a foreign key: deleting a user must not rewrite history (SET NULL would be an UPDATE).
    """

    sequence = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Unique: two appends that read the same tail cannot both commit, so the chain can never fork.
    prev_hash = models.CharField(max_length=64, unique=True)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.target_type}:{self.target_id} by {self.actor_label}"


class Heartbeat(models.Model):
    """Last time a periodic job ran (e.g. the Celery worker); the health endpoint reports it."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
