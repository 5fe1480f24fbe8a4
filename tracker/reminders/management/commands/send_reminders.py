from django.core.management.base import BaseCommand

from tracker.reminders import services, tasks


class Command(BaseCommand):
    help = (
        "Record due reminders and send what may go out now (the same work as "
        "beat's sweep, dispatch, digest and leadership digest tasks). Safe to "
        "run at any time, also beside a worker: nothing is sent twice."
    )

    def handle(self, *args, **options):
        recorded = services.reminders_record_due()
        for rule, count in recorded.items():
            self.stdout.write(f"{rule}: {count} reminder(s) recorded")
        mails = tasks.reminders_dispatch()
        digests = tasks.digests_send_due()
        leadership = tasks.leadership_digests_send_due()
        self.stdout.write(
            self.style.SUCCESS(
                f"{mails} mail(s) and {digests} digest(s) sent or queued."
            )
        )
        self.stdout.write(f"{leadership} leadership digest(s) sent or queued.")
