"""Leadership report pages and exports. Thin: filters in, selector, render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker.incidents.models import Kind
from tracker.lib.charts import (
    before_after_chart,
    line_chart,
    month_label,
    stacked_bar_chart,
)
from tracker.lib.pdf import render_pdf
from tracker.lib.periods import period_get
from tracker.products import selectors as product_selectors
from tracker.reports import exports, table
from tracker.reports.forms import PortfolioFilterForm
from tracker.reports.selectors.portfolio import portfolio_report
from tracker.reports.selectors.rows import Portfolio


def _portfolio(request: HttpRequest) -> tuple[PortfolioFilterForm, Portfolio]:
    form = PortfolioFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    period = period_get(filters.get("period"))
    return form, portfolio_report(filters=filters, period=period, user=request.user)


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


def report_context(request, form, portfolio, *, pdf: bool = False) -> dict:
    return {
        "form": form,
        "portfolio": portfolio,
        "pdf": pdf,
        "product_rows": (table.pdf_rows if pdf else table.product_rows)(portfolio),
        "attention_items": table.attention_items(portfolio, pdf=pdf),
        "charts": portfolio_charts(portfolio),
        "filters_text": form.describe()
        if form.is_bound
        else "all teams, all stages, any risk tier",
        "query": request.GET.urlencode(),
    }


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    form, report = _portfolio(request)
    return render(
        request, "reports/portfolio.html", report_context(request, form, report)
    )


@login_required
def portfolio_csv(request: HttpRequest) -> HttpResponse:
    _, report = _portfolio(request)
    response = HttpResponse(
        exports.portfolio_csv(report), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="portfolio-{stamp}.csv"'
    return response


def portfolio_pdf_context(request: HttpRequest) -> dict:
    form, report = _portfolio(request)
    return report_context(request, form, report, pdf=True)


@login_required
def portfolio_pdf(request: HttpRequest) -> HttpResponse:
    pdf = render_pdf(
        "reports/portfolio_pdf.html",
        portfolio_pdf_context(request),
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'inline; filename="portfolio-{stamp}.pdf"'
    return response


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
