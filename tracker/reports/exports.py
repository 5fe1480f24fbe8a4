"""CSV and PDF renderings of the portfolio report."""

import csv
import io

from tracker.products.templatetags.tracker_tags import not_a_figure
from tracker.reports.selectors.rows import SEVERITIES, Portfolio, ProductRow

# Stable column names: spreadsheets and scripts downstream depend on them.
CSV_COLUMNS = [
    "product",
    "slug",
    "team",
    "stage",
    "risk_tier",
    "owners_complete",
    "readiness_passed",
    "readiness_applicable",
    "ml_test_score",
    "business_kpis",
    "kpis_on_track",
    "kpis_at_risk",
    "kpis_off_track",
    "kpi_min_progress_pct",
    "kpi_after_launch_change_pct",
    "kpi_summary",
    "sla_count",
    "sla_min_compliance_pct",
    "sla_min_error_budget_pct",
    "overdue_kpi_followups",
    "incidents",
    "incidents_sev1",
    "incidents_sev2",
    "incidents_sev3",
    "incidents_sev4",
    "median_time_to_detect_minutes",
    "median_time_to_resolve_minutes",
    "sev12_incidents",
    "sev12_with_published_postmortem",
    "postmortem_completion_pct",
    "open_action_items",
    "overdue_action_items",
    "postmortems_stuck_in_draft",
    "recurrences",
    "follow_up_violations",
    "latest_ci_state",
    "latest_ci_sha",
    "worst_segment",
    "worst_segment_metric",
    "worst_segment_value",
    "worst_case_floor",
    "worst_segment_meets_floor",
    "production_version",
    "production_shipped_at",
    "cost_to_date",
    "value_to_date",
    "payback_date",
    "attention",
    "attention_rank",
]


def _decimal(value) -> str:
    return "" if value is None else str(value)


def _minutes(value) -> str:
    return "" if value is None else f"{value.total_seconds() / 60:.0f}"


def _pct(value: float | None) -> str:
    return "" if not_a_figure(value) else f"{value * 100:.1f}"


def _number(value: float | None, missing: str = "") -> str:
    return missing if not_a_figure(value) else f"{value:g}"


def _kpi_summary(kpi) -> str:
    """ "Losses: 10 -> 14 / 20 (40.0%, at risk)", with words where a figure is
    missing."""
    progress = "" if not_a_figure(kpi.progress) else f"{_pct(kpi.progress)}%, "
    return (
        f"{kpi.name}: {_number(kpi.baseline, 'no baseline')} -> "
        f"{_number(kpi.latest, 'no measurement')} / "
        f"{_number(kpi.target, 'no target')} ({progress}{kpi.status_label})"
    )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def csv_row(row: ProductRow, ranks: dict[int, int] | None = None) -> dict[str, object]:
    """The row's figures as text: percentages with one decimal, durations in
    minutes, empty where there is nothing to measure; `ranks` places products
    on the attention list (1: most urgent)."""
    product, f = row.product, row.figures
    return {
        "product": product.name,
        "slug": product.slug,
        "team": product.team.name,
        "stage": product.stage,
        "risk_tier": product.risk_tier,
        "owners_complete": "yes" if f["owners_complete"] else "no",
        "readiness_passed": f["readiness_passed"],
        "readiness_applicable": f["readiness_applicable"],
        "ml_test_score": _number(f["ml_test_score"]),
        "business_kpis": f["business_kpis"],
        "kpis_on_track": f["kpis_on_track"],
        "kpis_at_risk": f["kpis_at_risk"],
        "kpis_off_track": f["kpis_off_track"],
        "kpi_min_progress_pct": _pct(f["kpi_min_progress"]),
        "kpi_after_launch_change_pct": _pct(f["kpi_after_launch_change"]),
        "kpi_summary": "; ".join(_kpi_summary(k) for k in row.kpis),
        "sla_count": f["sla_count"],
        "sla_min_compliance_pct": _pct(f["sla_min_compliance"]),
        "sla_min_error_budget_pct": _pct(f["sla_min_error_budget"]),
        "overdue_kpi_followups": f["overdue_kpi_followups"],
        "incidents": f["incidents"],
        **{f"incidents_{sev}": f[f"incidents_{sev}"] for sev in SEVERITIES},
        "median_time_to_detect_minutes": _minutes(f["median_time_to_detect"]),
        "median_time_to_resolve_minutes": _minutes(f["median_time_to_resolve"]),
        "sev12_incidents": f["sev12_incidents"],
        "sev12_with_published_postmortem": f["sev12_with_published_postmortem"],
        "postmortem_completion_pct": _pct(f["postmortem_completion"]),
        "open_action_items": f["open_action_items"],
        "overdue_action_items": f["overdue_action_items"],
        "postmortems_stuck_in_draft": f["postmortems_stuck_in_draft"],
        "recurrences": f["recurrences"],
        "follow_up_violations": f["follow_up_violations"],
        "latest_ci_state": f["latest_ci_state"] or "",
        "latest_ci_sha": f["latest_ci_sha"] or "",
        "worst_segment": f["worst_segment"] or "",
        "worst_segment_metric": f["worst_segment_metric"] or "",
        "worst_segment_value": _number(f["worst_segment_value"]),
        "worst_case_floor": _number(f["worst_case_floor"]),
        "worst_segment_meets_floor": _yes_no(f["worst_segment_meets_floor"]),
        "production_version": f["production_version"] or "",
        "production_shipped_at": f["production_shipped_at"].isoformat()
        if f["production_shipped_at"]
        else "",
        "cost_to_date": _decimal(f["cost_to_date"]),
        "value_to_date": _decimal(f["value_to_date"]),
        "payback_date": f["payback_date"].isoformat() if f["payback_date"] else "",
        "attention": "; ".join(row.attention),
        "attention_rank": (ranks or {}).get(product.pk, ""),
    }


def portfolio_csv(portfolio: Portfolio) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    ranks = {entry.product.pk: entry.rank for entry in portfolio.attention}
    for row in portfolio.rows:
        writer.writerow(csv_row(row, ranks))
    return buffer.getvalue()
