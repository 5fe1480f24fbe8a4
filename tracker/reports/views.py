"""Leadership report pages and exports. Thin: filters in, selector, render."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.shortcuts import render as render_page
from django.views.decorators.http import require_safe

from tracker.lib.charts import before_after_chart
from tracker.lib.pdf import render_pdf
from tracker.lib.periods import period_get
from tracker.lib.views import paginate
from tracker.products import selectors as product_selectors
from tracker.reports import jobs, render, table, tasks
from tracker.reports.selectors.overview import (
    ATTENTION_SHOWN,
    TEAMS_PER_PAGE,
    page_rows,
    portfolio_overview,
    table_order,
)
from tracker.reports.selectors.portfolio import one_snapshot, portfolio_report
from tracker.reports.selectors.products import portfolio_products
from tracker.reports.selectors.summary import DEFAULT_SORT
from tracker.reports.tasks import STANDINGS_EVERY

PRODUCTS_PER_PAGE = 25


def _page_url(request: HttpRequest, **params) -> str:
    """This page's URL with `params` changed (None: removed)."""
    query = request.GET.copy()
    for key, value in params.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return f"?{query.urlencode()}" if query else "?"


def _pager_urls(request: HttpRequest, page, param: str, name: str) -> dict[str, str]:
    """`name`_prev and `name`_next: this page's URL at the previous and the next
    page of `page` (its number in `param`), or "" at either end."""
    return {
        f"{name}_prev": _page_url(request, **{param: page.previous_page_number()})
        if page.has_previous()
        else "",
        f"{name}_next": _page_url(request, **{param: page.next_page_number()})
        if page.has_next()
        else "",
    }


# The products table's columns: (label, the sort it offers or None, numeric).
COLUMNS = [
    ("Product", "name", False),
    ("Stage", "stage", False),
    ("Owners", None, False),
    ("Readiness", "readiness", False),
    ("Business KPIs: baseline → latest / target", "kpis", False),
    ("SLAs", "slas", False),
    ("Incidents", "incidents", False),
    ("Learning", None, False),
    ("Latest CI", None, False),
    ("Overdue follow-ups", "followups", True),
]


def _columns(request: HttpRequest, current: str) -> list[dict]:
    """The table's headers: a sortable one links to the table sorted by it (by
    it reversed when it is sorted so now) and says how it is sorted ("asc",
    "desc" or "")."""
    columns = []
    for label, key, num in COLUMNS:
        column = {"label": label, "num": num, "url": "", "state": ""}
        if key:
            state = "asc" if current == key else "desc" if current == f"-{key}" else ""
            wanted = f"-{key}" if state == "asc" else key
            column["url"] = _page_url(request, sort=wanted, page=None)
            column["state"] = state
        columns.append(column)
    return columns


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    """The report: the summary per team, the most urgent products, the charts,
    then one page of the sortable products table (filters, sort and pages in
    the URL). The summaries, totals and attention list add up the products'
    stored standings in SQL, and the table's page shows the rows they keep,
    with the period's incident figures of those products counted now
    (selectors/overview.py): the page costs the same at any size."""
    form = render.filter_form(request.GET, request.user)
    filters = render.valid_filters(form)
    period = period_get(filters.get("period"))
    sort = filters.get("sort") or DEFAULT_SORT
    ordered = table_order(
        portfolio_products(filters=filters, user=request.user), sort, period
    )
    with one_snapshot():  # the summaries and the table's rows of one instant
        overview = portfolio_overview(
            filters=filters,
            period=period,
            user=request.user,
            attention_shown=ATTENTION_SHOWN,
        )
        # Counted so far, as every list is (tracker.lib.paging); the total is
        # the summaries' product count.
        page = paginate(
            request, ordered.values_list("pk", flat=True), PRODUCTS_PER_PAGE
        )
        rows = page_rows(list(page.object_list), period=period)
    teams = Paginator(overview.teams, TEAMS_PER_PAGE).get_page(
        request.GET.get("teams_page")
    )
    for summary in teams:  # its name filters the report to it, the rest kept
        summary.url = _page_url(request, team=summary.slug, page=None, teams_page=None)
    values = Paginator(overview.value_by_team(), TEAMS_PER_PAGE).get_page(
        request.GET.get("values_page")
    )
    query = jobs.export_query(request.GET)
    context = {
        **render.report_context(form, overview, query=query),
        "page": page,
        "product_rows": table.product_rows(rows),
        "attention_items": table.attention_items(overview.attention),
        "attention_more": max(overview.attention_count - ATTENTION_SHOWN, 0),
        "attention_url": _page_url(request, sort="attention", page=None),
        "refresh_minutes": STANDINGS_EVERY // 60,
        "teams": teams,
        **_pager_urls(request, teams, "teams_page", "teams"),
        "value_teams": values,
        **_pager_urls(request, values, "values_page", "values"),
        "sort": sort,
        "columns": _columns(request, sort),
    }
    return render_page(request, "reports/portfolio.html", context)


def _export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The file at once when the report is small; otherwise an export job, and
    its page, which shows the progress and then the download link."""
    query = jobs.export_query(request.GET)
    base_url = request.build_absolute_uri("/")
    form = render.filter_form(QueryDict(query), request.user)
    if jobs.export_inline(render.product_count(form, request.user)):
        made = render.portfolio_export(
            fmt, user=request.user, query=query, base_url=base_url
        )
        return render.file_response(made.content, made)
    export = tasks.export_start(
        user=request.user, fmt=fmt, query=query, base_url=base_url
    )
    return redirect(export)


@login_required
@require_safe
def portfolio_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, render.CSV)


@login_required
@require_safe
def portfolio_pdf(request: HttpRequest) -> HttpResponse:
    return _export(request, render.PDF)


def portfolio_pdf_context(request: HttpRequest) -> dict:
    """The PDF's context for this request's filters (the layout tests)."""
    form = render.filter_form(request.GET, request.user)
    report = render.portfolio_for(form, request.user)
    return render.pdf_context(form, report, query=jobs.export_query(request.GET))


@login_required
@require_safe
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An export's progress; the download link once it is made (the page asks
    the API for the status until then)."""
    export = jobs.export_get_for_user(user=request.user, pk=pk)
    return render_page(
        request,
        "reports/export.html",
        {"export": export, "keep_hours": settings.REPORT_EXPORT_KEEP_HOURS},
    )


@login_required
@require_safe
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = jobs.export_file(user=request.user, pk=pk)
    return render.file_response(bytes(export.content), export)


def product_summary_context(*, user, product) -> dict:
    """What the one-page product summary shows: the report's row for the
    product, and its metrics with their charts as the product page draws them."""
    report = portfolio_report(
        filters={"product": product}, period=period_get(None), user=user
    )
    metrics = product_selectors.metric_list_with_latest(product=product)
    charts = []  # (metric name, chart)
    for metric in metrics:
        latest = metric.latest.value if metric.latest else None
        metric.progress_value = metric.progress(latest)
        if chart := before_after_chart(
            [(m.measured_at, m.value) for m in metric.history],
            baseline=metric.baseline,
            target=metric.target,
            launched_at=product.launched_at,
            label=f"{metric.name} over time",
            unit=metric.unit,
            y_title=metric.unit or metric.name,
        ):
            charts.append((metric.name, chart))
    return {
        "product": product,  # with its owners, which the report does not join
        "row": report.rows[0],
        "portfolio": report,
        "metrics": metrics,
        "charts": charts,
    }


@login_required
@require_safe
def product_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """A one-page summary of one product, for leadership."""
    product = product_selectors.product_get_for_user(user=request.user, slug=slug)
    pdf = render_pdf(
        "reports/product_pdf.html",
        product_summary_context(user=request.user, product=product),
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{product.slug}-summary.pdf"'
    return response
