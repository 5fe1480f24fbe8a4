"""The insights page and its PDF: the same figures and server-rendered charts."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tracker.incidents.models import Severity
from tracker.insights.forms import InsightsFilterForm
from tracker.insights.selectors import Insights
from tracker.insights.stored import insights_for
from tracker.lib.charts import stacked_bar_chart
from tracker.lib.pdf import render_pdf
from tracker.reports.stored import REFRESH_EVERY


def _hours(value) -> float:
    return 0 if value is None else round(value.total_seconds() / 3600, 1)


def insights_charts(insights: Insights) -> dict:
    quarters = insights.factor_quarters()
    categories = sorted({c for counts in quarters.values() for c in counts})
    return {
        "factors": stacked_bar_chart(
            list(quarters),
            {c: [quarters[q].get(c, 0) for q in quarters] for c in categories},
            label="Contributing factors per quarter, by category",
            y_title="factors",
        ),
        "severity": stacked_bar_chart(
            [t.label for t in insights.by_severity],
            {
                "median hours to resolve": [
                    _hours(t.median_ttr) for t in insights.by_severity
                ]
            },
            label="Median time to resolve by severity (hours)",
            y_title="hours to resolve",
            width=460,
            height=180,
        ),
        "actions": stacked_bar_chart(
            [r.label for r in insights.action_items],
            {
                "done on time": [r.part for r in insights.action_items],
                "not (yet) on time": [r.total - r.part for r in insights.action_items],
            },
            label="Action items created in the period by kind",
            y_title="action items",
            width=460,
            height=180,
        ),
    }


def _context(request: HttpRequest, *, pdf: bool = False) -> dict:
    form = InsightsFilterForm(request.GET or None, user=request.user)
    insights = insights_for(user=request.user, filters=form.filters())
    return {
        "form": form,
        "insights": insights,
        "refresh_minutes": REFRESH_EVERY.seconds // 60,
        "charts": insights_charts(insights),
        "pdf": pdf,
        "severities": Severity,
        "query": request.GET.urlencode(),
    }


@login_required
def insights_page(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/insights.html", _context(request))


@login_required
def insights_pdf(request: HttpRequest) -> HttpResponse:
    pdf = render_pdf(
        "insights/insights_pdf.html",
        _context(request, pdf=True),
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'inline; filename="insights-{stamp}.pdf"'
    return response
