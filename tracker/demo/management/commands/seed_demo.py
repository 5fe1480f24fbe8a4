import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.demo.people import DEMO_PASSWORD
from tracker.demo.scale.portfolio import seed_scale
from tracker.demo.seed import seed_demo


class Command(BaseCommand):
    help = (
        "Load realistic demo data (teams, people, products at every stage); with "
        "--scale N, add N generated products with their metrics, measurements, "
        "SLAs, surveys and incidents for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="also generate N products (1000 gives 100,000 measurements)",
        )

    def handle(self, *args, scale: int, **options):
        # The audit trail names this command as the source of what it writes.
        with acting(via=Via.COMMAND, label="manage.py seed_demo"):
            self._seed(scale)

    def _seed(self, scale: int) -> None:
        if scale < 0:
            self.stderr.write("--scale must be zero or more.")
            raise SystemExit(2)
        if scale:
            began = time.perf_counter()
            counts = seed_scale(scale)
            took = time.perf_counter() - began
            made = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Generated {made} in {took:.1f} s."))
            return
        created = seed_demo()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            self.stdout.write(f"Mail the tracker sends is written to {mail_dir()}/.")
        self.stdout.write(
            f"Sign in as alice / {DEMO_PASSWORD} (admin), or bob, dan, leader …"
        )


def mail_dir() -> str:
    """EMAIL_FILE_PATH, relative to the working directory when it is inside it."""
    path = Path(settings.EMAIL_FILE_PATH).resolve()
    return (
        str(path.relative_to(Path.cwd()))
        if path.is_relative_to(Path.cwd())
        else str(path)
    )
