"""The portfolio report's products table rows and attention list, as HTML.

These are the parts that grow with the portfolio. As a template loop (nested
loops over KPIs, SLAs and incidents, a dozen filters and an include per row)
they took about 400 ms of the page at 1,000 products, and format_html still
over 100 ms (its escaping checks every argument for lazy strings); plain
f-strings take about 20 ms (benchmarks/report_render.py). The page and its PDF
both include the result (templates/reports/_portfolio_body.html), so the markup
lives here once.

Escaping: every value from the database goes through `_e` (names, slugs,
states); numbers go through the display filters, which print digits and signs
only. tests/reports/test_table.py feeds markup in every text field.
"""

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tracker.ci.models import State
from tracker.products.models import RiskTier, Stage
from tracker.products.templatetags.tracker_tags import duration, num, pct, signed_pct
from tracker.reports.selectors import Portfolio, ProductRow

_STAGES = dict(Stage.choices)
_RISK_TIERS = dict(RiskTier.choices)
# As templates/ci/_state_badge.html colours a CI state.
_CI_TONES = {
    State.SUCCESS: "good",
    State.FAILURE: "bad",
    State.ERROR: "bad",
    State.CANCELLED: "bad",
    State.PENDING: "warn",
    State.RUNNING: "warn",
}
_SLUG = "__slug__"


def _e(value: object) -> str:
    return escape(str(value))


def _product_url() -> str:
    """The product page's URL with a placeholder for the slug: one reverse() per
    report rather than one per row."""
    return reverse("products:detail", args=[_SLUG])


def _product_link(row: ProductRow, url: str) -> str:
    href = url.replace(_SLUG, row.product.slug)
    return f'<a class="strong" href="{_e(href)}">{_e(row.product.name)}</a>'


def _kpis(row: ProductRow) -> str:
    if not row.kpis:
        return '<span class="warn-text">no business KPI</span>'
    parts = []
    for kpi in row.kpis:
        change = kpi.after_launch_change
        after = (
            ""
            if change is None
            else f' <span class="small muted">after launch {signed_pct(change)}</span>'
        )
        parts.append(
            f'<div class="kpi"><span>{_e(kpi.metric.name)}</span> '
            f'<span class="nowrap">{num(kpi.metric.baseline)} → {num(kpi.latest)} / '
            f"{num(kpi.metric.target)}</span> "
            f'<span class="badge status-{_e(kpi.status)}">{pct(kpi.progress)} · '
            f"{_e(kpi.status_label)}</span>{after}</div>"
        )
    return "".join(parts)


def _sla(name: str, compliance) -> str:
    if not compliance.total:
        shown = '<span class="muted">no checks</span>'
    else:
        tone = "good-text" if compliance.meets_objective else "bad-text"
        shown = (
            f'<span class="{tone}">{pct(compliance.ratio, 1)}</span> · '
            f"budget {pct(compliance.budget_remaining)}"
        )
    return f'<div class="small">{_e(name)}: {shown}</div>'


def _slas(row: ProductRow) -> str:
    if not row.slas:
        return '<span class="warn-text">no SLA</span>'
    return "".join(_sla(name, compliance) for name, compliance in row.slas)


def _incidents(row: ProductRow) -> str:
    if not row.incident_count:
        return '<span class="muted">none</span>'
    badges = "".join(
        f'<span class="badge sev-{_e(sev)}">{_e(sev.upper())} {n}</span> '
        for sev, n in row.incidents.items()
    )
    return (
        f'{badges}<div class="small muted">detect {duration(row.median_ttd)} · '
        f"resolve {duration(row.median_ttr)}</div>"
    )


def _learning(row: ProductRow) -> str:
    done = row.postmortems
    postmortems = (
        f"postmortems {done.covered}/{done.total}"
        if done.total
        else '<span class="muted">no SEV1–2</span>'
    )
    overdue = (
        f', <span class="bad-text">{row.overdue_action_items} overdue</span>'
        if row.overdue_action_items
        else ""
    )
    return f"{postmortems}<div>actions {row.open_action_items} open{overdue}</div>"


def _ci(row: ProductRow) -> str:
    if not row.ci:
        return '<span class="muted">none</span>'
    state = row.ci.state
    return (
        f'<span class="badge {_CI_TONES.get(state, "")}">{_e(state or "no status")}'
        f'</span><div class="small muted">{_e((row.ci.sha or "")[:7])}</div>'
    )


def _row(row: ProductRow, url: str) -> str:
    product = row.product
    owners = (
        '<span class="badge good">complete</span>'
        if row.owners_complete
        else '<span class="badge bad">incomplete</span>'
    )
    overdue = (
        f'<span class="bad-text">{row.overdue_followups}</span>'
        if row.overdue_followups
        else "0"
    )
    risk = _RISK_TIERS.get(product.risk_tier, product.risk_tier)
    return (
        f'<tr><td>{_product_link(row, url)}<div class="muted small">'
        f"{_e(product.team.name)} · {_e(risk)} risk</div></td>"
        f'<td><span class="badge stage-{_e(product.stage)}">'
        f"{_e(_STAGES.get(product.stage, product.stage))}</span></td>"
        f"<td>{owners}</td>"
        f'<td class="nowrap">{row.readiness.passed_count}/'
        f"{row.readiness.applicable_count}"
        f'<div class="muted small">ML Test {num(row.ml_score.score)}</div></td>'
        f"<td>{_kpis(row)}</td><td>{_slas(row)}</td>"
        f'<td class="nowrap">{_incidents(row)}</td>'
        f'<td class="nowrap small">{_learning(row)}</td><td>{_ci(row)}</td>'
        f'<td class="num">{overdue}</td></tr>'
    )


def product_rows(portfolio: Portfolio) -> SafeString:
    """The <tr> of every product, in the report's order."""
    url = _product_url()
    return mark_safe("\n".join(_row(row, url) for row in portfolio.rows))


def attention_items(portfolio: Portfolio) -> SafeString:
    """An <li> per product that needs attention, with the reasons."""
    url = _product_url()
    return mark_safe(
        "".join(
            f"<li>{_product_link(row, url)} "
            f'<span class="muted small">{_e(row.product.team.name)}</span> — '
            f"{_e('; '.join(row.attention))}</li>"
            for row in portfolio.attention
        )
    )
