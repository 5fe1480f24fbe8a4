"""CSV and PDF renderings of the portfolio report."""

import csv
import io

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
    "attention",
]


def _minutes(value) -> str:
    return "" if value is None else f"{value.total_seconds() / 60:.0f}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def csv_row(row: ProductRow) -> dict[str, object]:
    """The row's figures as text: percentages with one decimal, durations in
    minutes, empty where there is nothing to measure."""
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
        "ml_test_score": f"{f['ml_test_score']:g}",
        "business_kpis": f["business_kpis"],
        "kpis_on_track": f["kpis_on_track"],
        "kpis_at_risk": f["kpis_at_risk"],
        "kpis_off_track": f["kpis_off_track"],
        "kpi_min_progress_pct": _pct(f["kpi_min_progress"]),
        "kpi_after_launch_change_pct": _pct(f["kpi_after_launch_change"]),
        "kpi_summary": "; ".join(
            f"{k.name}: {k.baseline} -> {k.latest} / {k.target} "
            f"({_pct(k.progress) or '-'}%, {k.status_label})"
            for k in row.kpis
        ),
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
        "attention": "; ".join(row.attention),
    }


def portfolio_csv(portfolio: Portfolio) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in portfolio.rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue()
