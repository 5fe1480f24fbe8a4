"""`manage.py send_reminders`: beat's periodic deliveries, by hand. It lives in
reports, the highest app whose work it runs: the reminders' sweep, dispatch and
daily digests, and the reports' weekly leadership digest."""

from django.core.management.base import BaseCommand

from tracker.reminders import tasks
from tracker.reminders.services import sweep
from tracker.reports import tasks as report_tasks


class Command(BaseCommand):
    help = (
        "Record due reminders and send what may go out now (the same work as "
        "beat's sweep, dispatch, digest and leadership digest tasks). Safe to "
        "run at any time, also beside a worker: nothing is sent twice."
    )

    def handle(self, *args, **options):
        recorded = sweep.reminders_record_due()
        for rule, count in recorded.items():
            self.stdout.write(f"{rule}: {count} reminder(s) recorded")
        mails = tasks.reminders_dispatch()
        digests = tasks.digests_send_due()
        leadership = report_tasks.leadership_digests_send_due()
        self.stdout.write(
            self.style.SUCCESS(
                f"{mails} mail(s) and {digests} digest(s) sent or queued."
            )
        )
        self.stdout.write(f"{leadership} leadership digest(s) sent or queued.")
