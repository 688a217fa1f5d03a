from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_chain_verify
from core.models import AuditEvent


class Command(BaseCommand):
    help = ("Recompute every audit entry's hash (the certification ledger is this chain too) and check that the chain "
            "is unbroken; a break names the first broken entry, its action and target.")

    def handle(self, *args, **options):
        result = audit_chain_verify()
        if not result.ok:
            entry = AuditEvent.objects.filter(sequence=result.first_broken_sequence).values(
                "action", "target_type", "target_id").first() or {}
            raise CommandError(
                f"Audit chain broken at entry #{result.first_broken_sequence} "
                f"({entry.get('action', '?')} {entry.get('target_type', '')}:{entry.get('target_id', '')}): "
                f"{result.problem}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.entries} entries."))
