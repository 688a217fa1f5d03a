from django.core.management.base import BaseCommand

from agencies.demo_data import DEMO_PASSWORD, DEMO_USERS, demo_data_load


class Command(BaseCommand):
    help = "Load the demo agencies, officers and logins (idempotent)."

    def handle(self, *args, **options):
        created = demo_data_load()
        self.stdout.write(f"Demo data: created {created} (zero everywhere means it was already loaded).")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:<18} {role.label}")
