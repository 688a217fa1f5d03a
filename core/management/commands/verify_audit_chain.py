from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute every audit entry's hash and check that the chain is unbroken."

    def handle(self, *args, **options):
        result = audit_chain_verify()
        if not result.ok:
            raise CommandError(f"Audit chain broken at entry #{result.first_broken_sequence}: {result.problem}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.entries} entries."))
