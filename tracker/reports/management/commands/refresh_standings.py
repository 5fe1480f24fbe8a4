"""`manage.py refresh_standings`: beat's refresh of the portfolio's standings,
by hand (where no beat runs, as under `make run`, or at once after a bulk
load): every product's standing and its row of the products table, computed
now, a batch at a time, in this process."""

from django.core.management.base import BaseCommand

from tracker.reports.standings import standings_refresh_all


class Command(BaseCommand):
    help = (
        "Compute every product's standing now (the portfolio's team summaries, "
        "attention list and products table read them); beat does it every five "
        "minutes. Safe to run at any time, also beside a worker."
    )

    def handle(self, *args, **options):
        count = standings_refresh_all()
        self.stdout.write(self.style.SUCCESS(f"{count} standing(s) computed."))
