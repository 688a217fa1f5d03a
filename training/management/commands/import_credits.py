"""`manage.py import_credits FILE.csv [--as USERNAME]`: import historical completions (CE credits) in bulk."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import ApplicationError
from training.services import credits_import


class Command(BaseCommand):
    help = ("Import historical course completions from a CSV (state, license_number, course_code, completed_on, "
            "optional ce_hours). Every row is checked first; any error imports nothing.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--as", dest="username", default="",
                            help="Record the import as this user (default: the system job 'import_credits').")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, path: Path, username: str, no_progress: bool, **options):
        actor = "import_credits"
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No user {username!r}.")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc

        def progress(iterable, *, total, desc):
            return tqdm(iterable, total=total, desc=desc, unit="row", disable=no_progress, file=self.stderr._out)

        try:
            result = credits_import(raw=raw, actor=actor, progress=progress)
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} {exc.fields or ''}".strip()) from exc
        if result.errors:
            for key, messages in result.errors.items():
                self.stderr.write(f"{key}: {'; '.join(messages)}")
            raise CommandError(f"{len(result.errors)} problem(s); nothing was imported.")
        self.stdout.write(self.style.SUCCESS(
            f"Imported {result.created} completion(s) (import #{result.credit_import.pk}); "
            f"{result.qualifications} instructor qualification(s) granted."))
