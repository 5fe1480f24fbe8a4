"""Celery tasks of the reports: the weekly leadership digest, thin wrappers that
take ids and call one service, queued like the reminders' (tracker/reminders/
tasks.py). Beat (tracker/celery.py) runs `leadership_digests_send_due` hourly; and the
portfolio's export jobs (tracker/reports/jobs.py), swept every five minutes; and
the products' standings (tracker/reports/standings.py), refreshed every
STANDINGS_EVERY seconds, a task per batch of products; and the reports'
stored figures (tracker/reports/stored.py, which has the task that computes
them again when a page finds them old), purged hourly."""

from celery import shared_task

from tracker.lib.tasks import enqueue_on_commit
from tracker.reminders.tasks import RETRY, enqueue_each
from tracker.reports import digest, jobs, standings, stored
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


# How often beat refreshes every product's standing (the portfolio page says
# how old its figures are).
STANDINGS_EVERY = 5 * 60


@shared_task
def standings_refresh() -> int:
    """Queue the refresh of every product's standing, a task per batch."""
    batches = standings.standing_batches()
    for batch in batches:
        standings_refresh_batch.delay(batch)
    return len(batches)


@shared_task
def standings_refresh_batch(product_ids: list[int]) -> int:
    return standings.standings_refresh(product_ids)


@shared_task
def stored_figures_purge() -> int:
    return stored.purge()
