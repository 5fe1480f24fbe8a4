"""Celery tasks of the reports: the weekly leadership digest, thin wrappers that
take ids and call one service, queued like the reminders' (tracker/reminders/
tasks.py). Beat (tracker/celery.py) runs `leadership_digests_send_due` hourly; and the
portfolio's export jobs (tracker/reports/jobs.py), swept every five minutes."""

from celery import shared_task

from tracker.reminders.tasks import RETRY, enqueue_each
from tracker.reports import digest, jobs


@shared_task
def leadership_digests_send_due() -> int:
    return enqueue_each(leadership_digest_send, digest.leadership_digests_prepare())


@shared_task(**RETRY)
def leadership_digest_send(digest_id: int) -> bool:
    return digest.leadership_digest_send(digest_id=digest_id)


@shared_task
def export_run(export_id: int) -> bool:
    return jobs.export_run(export_id)


@shared_task
def exports_sweep() -> dict[str, int]:
    return jobs.exports_sweep()
