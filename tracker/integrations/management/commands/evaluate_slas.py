"""`manage.py evaluate_slas`: beat's Prometheus SLA evaluation, now. Runs in
this process (the queries have timeouts) and prints each outcome."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.integrations.models import SLAQuery
from tracker.integrations.services import prometheus


class Command(BaseCommand):
    help = (
        "Evaluate the SLAs measured from Prometheus that are due (with --all, "
        "every one) and record their checks; a failed query is recorded as a "
        "failed evaluation. Safe beside a worker: no interval is evaluated twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Evaluate every SLA, due or not."
        )

    def handle(self, *args, **options):
        if options["all"]:
            ids = list(SLAQuery.objects.values_list("pk", flat=True))
        else:
            ids = prometheus.sla_queries_due(now=timezone.now())
        failed = 0
        with acting(via=Via.COMMAND, label="evaluate_slas"):
            for pk in ids:
                done = prometheus.sla_query_evaluate(
                    sla_query_id=pk, force=options["all"]
                )
                if done is None:
                    continue
                failed += bool(done.error)
                outcome = done.error or f"{done.value:g}"
                self.stdout.write(f"{done.sla_query.sla}: {outcome}")
        self.stdout.write(
            self.style.SUCCESS(f"{len(ids)} SLA(s) evaluated, {failed} failed.")
        )
