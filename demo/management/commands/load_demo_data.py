"""`make run` loads this: every app's demo data and the first-run story, then what to try (codes, a reviewer link,
the logins). Idempotent: a second run creates nothing. Refused with DJANGO_ENV=production."""

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.data import demo_data_load_all
from demo.data.agencies import DEMO_PASSWORD, DEMO_USERS
from demo.data.first_run import things_to_try


class Command(BaseCommand):
    help = "Load every app's demo data (idempotent: a second run creates nothing) and print what to try."

    def handle(self, *args, **options):
        for part, created in demo_data_load_all().items():
            self.stdout.write(f"Demo data {part}: created {created}")
        base = settings.PUBLIC_BASE_URL
        found = things_to_try()
        self.stdout.write("\nThings to try:")
        if found["completion_code"]:
            code = found["completion_code"]
            self.stdout.write(f"  Verify a completion certificate: {base}/verify/{code}/  (code {code})")
        if found["agency_certificate"]:
            number = found["agency_certificate"]
            self.stdout.write(f"  A certified agency's public record: {base}/registry/agencies/{number}/")
        if found["reviewer_link"]:
            self.stdout.write(f"  Answer a 360 as a reviewer (no login): {found['reviewer_link']}")
        self.stdout.write(f"  The public registry: {base}/registry/")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:<18} {role.label}")
        self.stdout.write(f"  {'staff2':<18} Certification staff (the second person of the two-person rule)")
        self.stdout.write(f"  {'officer':<18} Officer (Tom Becker): his own record and certificates at {base}/me/")
