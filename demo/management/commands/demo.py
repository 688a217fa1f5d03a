"""`make demo`: load the demo data, then walk through the product's main flows over its HTTP API."""

from django.core.management.base import BaseCommand

from demo.data import demo_data_load_all
from demo.walk import demo_files_dir, walk_run


class Command(BaseCommand):
    help = "Walk through PeaceCert's main flows over the HTTP API, printing what happens (files: MEDIA_ROOT/demo/)."

    def handle(self, *args, **options):
        self.stdout.write(f"Demo data ready ({demo_data_load_all()}).")
        walk_run(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"\nDemo finished. Files written under {demo_files_dir()}/."))

