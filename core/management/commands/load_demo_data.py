from django.core.management.base import BaseCommand

from agencies.demo_data import DEMO_PASSWORD, DEMO_USERS
from core.demo_registry import demo_data_load_all


class Command(BaseCommand):
    help = "Load every app's demo data (idempotent: a second run creates nothing)."

    def handle(self, *args, **options):
        for app, created in demo_data_load_all().items():
            self.stdout.write(f"Demo data {app}: created {created}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:<18} {role.label}")
