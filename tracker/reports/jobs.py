"""Export jobs of the portfolio report: start one, run it (a worker), read it,
sweep them.

A request that asks for the CSV or PDF of more than REPORT_EXPORT_INLINE_MAX
products records a ReportExport and queues `reports.tasks.export_run` once the
row is committed (tasks.export_start); the worker makes the file with the same
function the immediate export answers with (render.portfolio_export), so the
file is the same. Running claims the row (queued → running) in one conditional
UPDATE, so a task delivered twice makes the file once. The sweep (beat) finds
the exports whose message was lost (the broker was down) for its task to queue
again, fails those still unfinished after REPORT_EXPORT_TIMEOUT_SECONDS (a
worker died mid-way: the page shows an error rather than waiting for ever) and
deletes finished ones after REPORT_EXPORT_KEEP_HOURS.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.http import Http404, QueryDict
from django.utils import timezone

from tracker.accounts.selectors import Reader
from tracker.reports import render
from tracker.reports.models import ReportExport

logger = logging.getLogger(__name__)

Status = ReportExport.Status
# The filters an export keeps (sort and page are the page's, not the file's).
FILTER_KEYS = ("team", "stage", "risk_tier", "period")
# Progress once the report's figures are read; the rest is writing the file.
READ = 40
# An export whose task has not started this long after it was asked for is
# queued again (its message was lost).
REQUEUE_AFTER = timedelta(minutes=2)


def export_query(data: QueryDict | dict) -> str:
    """The report's filters in `data`, as a query string an export keeps."""
    query = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        if value := data.get(key):
            query[key] = value
    return query.urlencode()


def export_inline(count: int) -> bool:
    """Whether an export of `count` products is made within the request."""
    return count <= settings.REPORT_EXPORT_INLINE_MAX


def export_start(
    *, user: Reader, fmt: str, query: str, base_url: str, now: datetime | None = None
) -> ReportExport:
    """Record an export of the report for the filters in `query`, queued
    (tasks.export_start also queues its task)."""
    form = render.filter_form(QueryDict(query), user)
    export = ReportExport.objects.create(
        requested_by=user,
        format=fmt,
        query=query,
        filters_text=form.describe() if form.is_bound else render.ALL,
        base_url=base_url,
        product_count=render.product_count(form, user),
        created_at=now or timezone.now(),
    )
    return export


def export_run(export_id: int) -> bool:
    """Make the export's file; False when another run has it (or had it)."""
    claimed = ReportExport.objects.filter(pk=export_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now(), progress=5
    )
    if not claimed:
        return False
    export = ReportExport.objects.select_related("requested_by").get(pk=export_id)

    def read() -> None:
        ReportExport.objects.filter(pk=export_id).update(progress=READ)

    try:
        made = render.portfolio_export(
            export.format,
            user=export.requested_by,
            query=export.query,
            base_url=export.base_url,
            progress=read,
        )
    except Exception as error:  # reported on the export's page, and logged
        logger.exception("Export %s failed", export_id)
        ReportExport.objects.filter(pk=export_id, status=Status.RUNNING).update(
            status=Status.FAILED,
            error=f"The export could not be made ({type(error).__name__}).",
            finished_at=timezone.now(),
        )
        return False
    done = ReportExport.objects.filter(pk=export_id, status=Status.RUNNING).update(
        status=Status.DONE,
        progress=100,
        content=made.content,
        filename=made.filename,
        content_type=made.content_type,
        finished_at=timezone.now(),
    )
    return bool(done)


def export_get_for_user(*, user: Reader, pk: int) -> ReportExport:
    """The export, without its file, for the person who asked for it or staff;
    404 for anyone else (as if it did not exist)."""
    exports = ReportExport.objects.defer("content")
    if not user.is_staff:
        exports = exports.filter(requested_by=user)
    try:
        return exports.get(pk=pk)
    except ReportExport.DoesNotExist:
        raise Http404("No such export.") from None


def export_file(*, user: Reader, pk: int) -> ReportExport:
    """The finished export with its file (404 if not the reader's or not done)."""
    export = export_get_for_user(user=user, pk=pk)
    if export.status != Status.DONE:
        raise Http404("The export is not ready.")
    return ReportExport.objects.get(pk=export.pk)


def exports_sweep(*, now: datetime | None = None) -> tuple[dict[str, int], list[int]]:
    """Fail the stuck, delete the old, and find the lost (see the module): the
    counts, and the ids of the lost, for tasks.exports_sweep to queue again."""
    now = now or timezone.now()
    timeout = now - timedelta(seconds=settings.REPORT_EXPORT_TIMEOUT_SECONDS)
    failed = ReportExport.objects.filter(
        status__in=[Status.QUEUED, Status.RUNNING], created_at__lt=timeout
    ).update(
        status=Status.FAILED,
        error="The export did not finish in time. Please try again.",
        finished_at=now,
    )
    lost = list(
        ReportExport.objects.filter(
            status=Status.QUEUED, created_at__lt=now - REQUEUE_AFTER
        ).values_list("pk", flat=True)
    )
    old = now - timedelta(hours=settings.REPORT_EXPORT_KEEP_HOURS)
    deleted, _ = ReportExport.objects.filter(
        Q(finished_at__lt=old) | Q(finished_at__isnull=True, created_at__lt=old)
    ).delete()
    return {"failed": failed, "requeued": len(lost), "deleted": deleted}, lost
