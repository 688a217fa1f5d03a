from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_chain_verify
from core.models import AuditEvent


class Command(BaseCommand):
    help = ("Recompute the certification ledger's hash chain (the audit chain every certification event is "
            "appended to) and name the first broken entry.")

    def handle(self, *args, **options):
        result = audit_chain_verify()
        if not result.ok:
            entry = AuditEvent.objects.filter(sequence=result.first_broken_sequence).values(
                "action", "target_type", "target_id").first() or {}
            raise CommandError(
                f"Ledger broken at entry #{result.first_broken_sequence} "
                f"({entry.get('action', '?')} {entry.get('target_type', '')}:{entry.get('target_id', '')}): "
                f"{result.problem}")
        self.stdout.write(self.style.SUCCESS(f"Ledger intact: {result.entries} entries."))
