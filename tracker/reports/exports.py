"""CSV and PDF renderings of the portfolio report."""

import csv
import io

from django.template.loader import render_to_string

from tracker.reports.selectors import Portfolio, ProductRow

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
    "latest_ci_state",
    "latest_ci_sha",
    "attention",
]


SEVERITIES = ("sev1", "sev2", "sev3", "sev4")


def _minutes(value) -> str:
    return "" if value is None else f"{value.total_seconds() / 60:.0f}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def csv_row(row: ProductRow) -> dict[str, object]:
    product = row.product
    statuses = [k.status for k in row.kpis]
    progress = [k.progress for k in row.kpis if k.progress is not None]
    changes = [
        k.after_launch_change for k in row.kpis if k.after_launch_change is not None
    ]
    measured = [c for _, c in row.slas if c.total]
    return {
        "product": product.name,
        "slug": product.slug,
        "team": product.team.name,
        "stage": product.stage,
        "risk_tier": product.risk_tier,
        "owners_complete": "yes" if row.owners_complete else "no",
        "readiness_passed": row.readiness.passed_count,
        "readiness_applicable": len(row.readiness.applicable),
        "ml_test_score": f"{row.ml_score.score:g}",
        "business_kpis": len(row.kpis),
        "kpis_on_track": statuses.count("on_track"),
        "kpis_at_risk": statuses.count("at_risk"),
        "kpis_off_track": statuses.count("off_track"),
        "kpi_min_progress_pct": _pct(min(progress) if progress else None),
        "kpi_after_launch_change_pct": _pct(
            sum(changes) / len(changes) if changes else None
        ),
        "kpi_summary": "; ".join(
            f"{k.metric.name}: {k.metric.baseline} -> {k.latest} / {k.metric.target} "
            f"({_pct(k.progress) or '-'}%, {k.status_label})"
            for k in row.kpis
        ),
        "sla_count": len(row.slas),
        "sla_min_compliance_pct": _pct(
            min(c.ratio for c in measured) if measured else None
        ),
        "sla_min_error_budget_pct": _pct(
            min(c.budget_remaining for c in measured) if measured else None
        ),
        "overdue_kpi_followups": row.overdue_followups,
        "incidents": row.incident_count,
        **{f"incidents_{sev}": row.incidents.get(sev, 0) for sev in SEVERITIES},
        "median_time_to_detect_minutes": _minutes(row.median_ttd),
        "median_time_to_resolve_minutes": _minutes(row.median_ttr),
        "sev12_incidents": row.postmortems.total,
        "sev12_with_published_postmortem": row.postmortems.covered,
        "postmortem_completion_pct": _pct(row.postmortems.ratio),
        "open_action_items": row.open_action_items,
        "overdue_action_items": row.overdue_action_items,
        "postmortems_stuck_in_draft": row.stuck_postmortems,
        "latest_ci_state": row.ci.state if row.ci else "",
        "latest_ci_sha": row.ci.sha if row.ci else "",
        "attention": "; ".join(row.attention),
    }


def portfolio_csv(portfolio: Portfolio) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in portfolio.rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue()


def render_pdf(template: str, context: dict, *, base_url: str) -> bytes:
    from weasyprint import HTML  # imported lazily: heavy, and only exports need it

    html = render_to_string(template, context)
    return HTML(string=html, base_url=base_url).write_pdf()
