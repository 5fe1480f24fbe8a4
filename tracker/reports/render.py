"""The portfolio report as the page and the exports render it: the report for a
query string's filters, its charts, the templates' context, and the CSV and PDF
files. The immediate exports (views) and the export jobs (tasks) both call
`portfolio_export`, so a file made in the background is the one the request
would have returned."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpResponse, QueryDict
from django.utils import timezone

from tracker.accounts.selectors import Reader
from tracker.incidents.models import Kind
from tracker.lib.charts import line_chart, month_label, stacked_bar_chart
from tracker.lib.pdf import render_pdf
from tracker.lib.periods import period_get
from tracker.reports import exports, table
from tracker.reports.forms import PortfolioFilterForm
from tracker.reports.selectors.portfolio import portfolio_report
from tracker.reports.selectors.products import portfolio_products
from tracker.reports.selectors.rows import Portfolio

ALL = "all teams, all stages, any risk tier"
CSV, PDF = "csv", "pdf"
FORMATS = {CSV: "CSV", PDF: "PDF"}


def filter_form(data: QueryDict | dict | None, user: Reader) -> PortfolioFilterForm:
    return PortfolioFilterForm(data or None, user=user)


def valid_filters(form: PortfolioFilterForm) -> dict:
    """The valid filters (invalid ones are reported on the page, not applied)."""
    return form.cleaned_data if form.is_bound and form.is_valid() else {}


def portfolio_for(form: PortfolioFilterForm, user: Reader) -> Portfolio:
    filters = valid_filters(form)
    period = period_get(filters.get("period"))
    return portfolio_report(filters=filters, period=period, user=user)


def product_count(form: PortfolioFilterForm, user: Reader) -> int:
    """How many products the report for these filters covers (one count query):
    whether an export is made at once or in the background."""
    products = portfolio_products(filters=valid_filters(form), user=user)
    return products.order_by().count()


def portfolio_charts(portfolio: Portfolio) -> dict:
    stages = portfolio.products_by_stage()
    progress = portfolio.kpi_progress_distribution()
    months = list(portfolio.incidents_by_month)
    kinds = sorted(
        {kind for counts in portfolio.incidents_by_month.values() for kind in counts}
    )
    labels = [month_label(month) for month in months]
    return {
        "closure": line_chart(
            [
                (month_label(m), None if v is None else round(v * 100))
                for m, v in portfolio.closure_by_month.items()
            ],
            label="Share of action items closed by their due date, per month (%)",
            unit="%",
            y_title="closed on time (%)",
            lo=0,
            hi=100,
        ),
        "incidents": stacked_bar_chart(
            labels,
            {
                Kind(kind).label: [
                    portfolio.incidents_by_month[m][kind] for m in months
                ]
                for kind in kinds
            },
            label="Incidents per month by kind",
            y_title="incidents",
        ),
        "ttr": line_chart(
            [
                (label, _hours(portfolio.ttr_by_month[m]))
                for label, m in zip(labels, months, strict=True)
            ],
            label="Median time to resolve per month (hours)",
            unit=" h",
            y_title="median to resolve (hours)",
        ),
        "stages": stacked_bar_chart(
            list(stages),
            {"products": list(stages.values())},
            label="Products by stage",
            y_title="products",
            height=180,
        ),
        "progress": stacked_bar_chart(
            list(progress),
            {"KPIs": list(progress.values())},
            label="Business KPI progress towards target",
            y_title="KPIs",
            height=180,
        ),
    }


def _hours(value) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def report_context(form, portfolio, *, query: str, pdf: bool = False) -> dict:
    """What the page and the PDF share; the page adds its table's page, the
    PDF lists every product."""
    return {
        "form": form,
        "portfolio": portfolio,
        "pdf": pdf,
        "charts": portfolio_charts(portfolio),
        "filters_text": form.describe() if form.is_bound else ALL,
        "query": query,
    }


def pdf_context(form, portfolio, *, query: str) -> dict:
    return {
        **report_context(form, portfolio, query=query, pdf=True),
        "product_rows": table.pdf_rows(portfolio.rows),
        "attention_items": table.attention_items(portfolio.attention, pdf=True),
    }


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str


def portfolio_export(
    fmt: str,
    *,
    user: Reader,
    query: str,
    base_url: str,
    progress: Callable[[], None] | None = None,
) -> ExportFile:
    """The CSV or PDF of the report for the filters in `query` (a query string)
    as `user` may read it; `base_url` resolves the PDF's links. `progress` is
    called once the figures are read (an export job records it)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format: {fmt!r}")
    form = filter_form(QueryDict(query), user)
    portfolio = portfolio_for(form, user)
    if progress is not None:
        progress()
    stamp = timezone.localdate().isoformat()
    if fmt == CSV:
        return ExportFile(
            exports.portfolio_csv(portfolio).encode(),
            f"portfolio-{stamp}.csv",
            "text/csv; charset=utf-8",
        )
    pdf = render_pdf(
        "reports/portfolio_pdf.html",
        pdf_context(form, portfolio, query=query),
        base_url=base_url,
    )
    return ExportFile(pdf, f"portfolio-{stamp}.pdf", "application/pdf")


def file_response(content: bytes, made) -> HttpResponse:
    """An export's file as the immediate export answers (`made`: an ExportFile
    or a finished ReportExport)."""
    response = HttpResponse(content, content_type=made.content_type)
    disposition = "attachment" if made.content_type.startswith("text/csv") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{made.filename}"'
    return response
