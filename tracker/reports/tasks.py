"""Celery tasks of the reports: the weekly leadership digest, thin wrappers that
take ids and call one service, queued like the reminders' (tracker/reminders/
tasks.py). Beat (tracker/celery.py) runs `leadership_digests_send_due` hourly; and the
portfolio's export jobs (tracker/reports/jobs.py), swept every five minutes."""

from celery import shared_task

from tracker.lib.tasks import enqueue_on_commit
from tracker.reminders.tasks import RETRY, enqueue_each
from tracker.reports import digest, jobs
from tracker.reports.models import ReportExport


@shared_task
def leadership_digests_send_due() -> int:
    return enqueue_each(leadership_digest_send, digest.leadership_digests_prepare())


@shared_task(**RETRY)
def leadership_digest_send(digest_id: int) -> bool:
    return digest.leadership_digest_send(digest_id=digest_id)


@shared_task
def export_run(export_id: int) -> bool:
    return jobs.export_run(export_id)


def export_start(**kwargs) -> ReportExport:
    """jobs.export_start, and its task queued once the row is committed (the
    worker must find it); the sweep queues it again if the broker was down."""
    export = jobs.export_start(**kwargs)
    enqueue_on_commit(export_run, export.pk)
    return export


@shared_task
def exports_sweep() -> dict[str, int]:
    found, lost = jobs.exports_sweep()
    for pk in lost:
        enqueue_on_commit(export_run, pk)
    return found
