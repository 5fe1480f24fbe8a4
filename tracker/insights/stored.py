"""The insights' figures, kept with the reports' stored figures
(tracker/reports/stored.py): computed once for a reader's visibility, filters
and period, read back while younger than five minutes. Registered by the app
(apps.py), so the refresh task finds them by name."""

from dataclasses import asdict, replace

from tracker.accounts.selectors import Reader
from tracker.insights.forms import InsightsFilterForm
from tracker.insights.selectors import (
    Figure,
    Filters,
    Insights,
    Ratio,
    Timing,
    insights_report,
)
from tracker.reports.models import StoredFigures
from tracker.reports.stored import Kind, delta, seconds, stored


def insights_for(*, user: Reader, filters: Filters) -> Insights:
    """The insights for the filters (the page's and the API's), stored."""
    params = {
        "period": filters.period.key,
        "team": filters.team.slug if filters.team else "",
        "product": filters.product.slug if filters.product else "",
    }
    kept = stored(INSIGHTS, user=user, params=params)
    return replace(kept.figures, filters=filters, as_of=kept.as_of)


def _insights_compute(user: Reader, params: dict) -> Insights:
    return insights_report(
        user=user, filters=InsightsFilterForm(params, user=user).filters()
    )


def _timing_out(timing: Timing) -> dict:
    return {
        **asdict(timing),
        "median_ttd": seconds(timing.median_ttd),
        "median_ttr": seconds(timing.median_ttr),
    }


def _timing_in(data: dict) -> Timing:
    return Timing(
        **{
            **data,
            "median_ttd": delta(data["median_ttd"]),
            "median_ttr": delta(data["median_ttr"]),
        }
    )


def _insights_encode(insights: Insights) -> dict:
    return {
        "factors": [asdict(f) for f in insights.factors],
        "by_category": [_timing_out(t) for t in insights.by_category],
        "by_severity": [_timing_out(t) for t in insights.by_severity],
        "recurrence": insights.recurrence and asdict(insights.recurrence),
        "action_items": [asdict(r) for r in insights.action_items],
        "published_on_time": insights.published_on_time
        and asdict(insights.published_on_time),
    }


def _ratio(data: dict | None) -> Ratio | None:
    return None if data is None else Ratio(**data)


def _insights_decode(data: dict) -> Insights:
    """The figures; the caller sets their `filters` (its form's)."""
    return Insights(
        filters=None,
        factors=[Figure(**f) for f in data["factors"]],
        by_category=[_timing_in(t) for t in data["by_category"]],
        by_severity=[_timing_in(t) for t in data["by_severity"]],
        recurrence=_ratio(data["recurrence"]),
        action_items=[Ratio(**r) for r in data["action_items"]],
        published_on_time=_ratio(data["published_on_time"]),
    )


INSIGHTS = Kind(
    StoredFigures.Report.INSIGHTS, _insights_compute, _insights_encode, _insights_decode
)
