"""The portfolio report's products table rows and attention list, as HTML.

These are the parts that grow with the portfolio. As a template loop (nested
loops over KPIs, SLAs and incidents, a dozen filters and an include per row)
they were most of the page's time at a thousand products, and format_html
still a large share (its escaping checks every argument for lazy strings);
plain f-strings are a small fraction of either (benchmarks/report_render.py
measures the page), with the texts that repeat (team, KPI and SLA names,
labels) escaped once per report. The page includes product_rows, the PDF
pdf_rows: the same figures as plain lines, which WeasyPrint lays out much
faster (templates/reports/_portfolio_body.html).

Escaping: every value from the database goes through `_e` (names, slugs,
states); numbers go through the display filters, which print digits and signs
only; labels of choices are escaped once, below. tests/reports/test_table.py
feeds markup in every text field.
"""

from collections.abc import Iterable
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tracker.ci.models import State
from tracker.products.models import RiskTier, Stage
from tracker.products.templatetags.tracker_tags import duration, num, pct, signed_pct
from tracker.reports.selectors.attention import AttentionEntry
from tracker.reports.selectors.overview import StandingEntry
from tracker.reports.selectors.rows import (
    SEVERITIES,
    STATUS_LABELS,
    ProductRow,
    StoredRow,
)


def _stage_badge(value: str, label: str) -> str:
    return f'<span class="badge stage-{escape(value)}">{escape(label)}</span>'


_STAGES = {value: _stage_badge(value, label) for value, label in Stage.choices}
_RISK_TIERS = {value: escape(label) for value, label in RiskTier.choices}
_STATUSES = {
    key: (f'<span class="badge status-{escape(key)}">', escape(label))
    for key, label in STATUS_LABELS.items()
}
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
# A row of the table: computed by the report's selectors (the exports), or as
# a product's standing keeps it (the page). The writers read its product,
# figures, KPIs and SLAs.
Row = ProductRow | StoredRow
_NOT_COMPUTED = "Not computed yet: its figures come with the next refresh."


class _Escaped(dict):
    """Escapes each distinct text once: team, KPI and SLA names repeat across
    a portfolio's rows."""

    def __missing__(self, text: str) -> str:
        self[text] = escaped = escape(str(text))
        return escaped


def _e(value: object) -> str:
    return escape(str(value))


def _product_url() -> str:
    """The product page's URL with a placeholder for the slug: one reverse() per
    report rather than one per row."""
    return reverse("products:detail", args=[_SLUG])


_SEVERITY_BADGES = {}  # "sev2" → '<span class="badge sev-sev2">SEV2 '


def _severity(sev: str) -> str:
    badge = _SEVERITY_BADGES.get(sev)
    if badge is None:
        e = escape(sev)
        badge = _SEVERITY_BADGES[sev] = f'<span class="badge sev-{e}">{e.upper()} '
    return badge


class _Writer:
    """Writes the rows of one report (the product URL and the escaped texts are
    shared by all its rows)."""

    def __init__(self) -> None:
        self.url = _product_url()
        self.text = _Escaped()

    def link(self, product) -> str:
        href = _e(self.url.replace(_SLUG, product.slug))
        return f'<a class="strong" href="{href}">{_e(product.name)}</a>'

    def kpis(self, row: Row) -> str:
        if not row.kpis:
            return '<span class="warn-text">no business KPI</span>'
        parts = []
        for kpi in row.kpis:
            change = kpi.after_launch_change
            after = (
                ""
                if change is None
                else f' <span class="small muted">after launch '
                f"{signed_pct(change)}</span>"
            )
            badge, label = _STATUSES[kpi.status]
            parts.append(
                f'<div class="kpi"><span>{self.text[kpi.name]}</span> '
                f'<span class="nowrap">{num(kpi.baseline)} → {num(kpi.latest)} / '
                f"{num(kpi.target)}</span> "
                f"{badge}{pct(kpi.progress)} · {label}</span>{after}</div>"
            )
        return "".join(parts)

    def slas(self, row: Row) -> str:
        if not row.slas:
            return '<span class="warn-text">no SLA</span>'
        parts = []
        for name, compliance in row.slas:
            if not compliance.total:
                shown = '<span class="muted">no checks</span>'
            else:
                tone = "good-text" if compliance.meets_objective else "bad-text"
                shown = (
                    f'<span class="{tone}">{pct(compliance.ratio, 1)}</span> · '
                    f"budget {pct(compliance.budget_remaining)}"
                )
            parts.append(f'<div class="small">{self.text[name]}: {shown}</div>')
        return "".join(parts)

    def row(self, row: Row) -> str:
        product, f = row.product, row.figures
        owners = (
            '<span class="badge good">complete</span>'
            if f["owners_complete"]
            else '<span class="badge bad">incomplete</span>'
        )
        stage = _STAGES.get(product.stage) or _stage_badge(product.stage, product.stage)
        risk = _RISK_TIERS.get(product.risk_tier) or self.text[product.risk_tier]
        about = (
            f'<tr><td>{self.link(product)}<div class="muted small">'
            f"{self.text[product.team.name]} · {risk} risk</div></td>"
            f"<td>{stage}{_production(f)}</td><td>{owners}</td>"
        )
        if not row.computed:
            return f'{about}<td colspan="7" class="muted">{_NOT_COMPUTED}</td></tr>'
        overdue = f["overdue_kpi_followups"]
        late = f'<span class="bad-text">{overdue}</span>' if overdue else "0"
        return (
            f'{about}<td class="nowrap">{f["readiness_passed"]}/'
            f"{f['readiness_applicable']}"
            f'<div class="muted small">ML Test {num(f["ml_test_score"])}</div>'
            f"{self.worst_segment(f)}</td>"
            f"<td>{self.kpis(row)}</td><td>{self.slas(row)}</td>"
            f'<td class="nowrap">{_incidents(f)}</td>'
            f'<td class="nowrap small">{_learning(f)}</td><td>{self.ci(f)}</td>'
            f'<td class="num">{late}</td></tr>'
        )

    def worst_segment(self, f: dict) -> str:
        """The worst segment against its floor (docs/cards.md), if any."""
        if f["worst_segment"] is None:
            return ""
        tone = "good-text" if f["worst_segment_meets_floor"] else "bad-text"
        return (
            f'<div class="small">worst {self.text[f["worst_segment"]]}: '
            f'<span class="{tone}">{num(f["worst_segment_value"])}</span> / floor '
            f"{num(f['worst_case_floor'])}</div>"
        )

    def ci(self, f: dict) -> str:
        state = f["latest_ci_state"]
        if state is None:
            return '<span class="muted">none</span>'
        return (
            f'<span class="badge {_CI_TONES.get(state, "")}">{self.text[state]}</span>'
            f'<div class="small muted">{_e((f["latest_ci_sha"] or "")[:7])}</div>'
        )


def _production(f: dict, *, pdf: bool = False) -> str:
    """The version serving in production and when it shipped."""
    if f["production_version"] is None:
        return ""
    version = _e(f["production_version"])
    shipped = f"{f['production_shipped_at']:%Y-%m-%d}"
    if pdf:
        return f"\nserving {version} since {shipped}"
    return f'<div class="small muted">serving {version} since {shipped}</div>'


def _by_severity(f: dict) -> list[tuple[str, int]]:
    """The period's incidents per severity, the severities it had."""
    return [(sev, f[f"incidents_{sev}"]) for sev in SEVERITIES if f[f"incidents_{sev}"]]


def _incidents(f: dict) -> str:
    if not f["incidents"]:
        return '<span class="muted">none</span>'
    badges = "".join(f"{_severity(sev)}{n}</span> " for sev, n in _by_severity(f))
    return (
        f'{badges}<div class="small muted">'
        f"detect {duration(f['median_time_to_detect'])} · "
        f"resolve {duration(f['median_time_to_resolve'])}</div>"
    )


def _learning(f: dict) -> str:
    total, covered = f["sev12_incidents"], f["sev12_with_published_postmortem"]
    postmortems = (
        f"postmortems {covered}/{total}"
        if total
        else '<span class="muted">no SEV1–2</span>'
    )
    overdue = f["overdue_action_items"]
    late = f', <span class="bad-text">{overdue} overdue</span>' if overdue else ""
    return f"{postmortems}<div>actions {f['open_action_items']} open{late}</div>"


class _PdfWriter(_Writer):
    """The same figures for the PDF, as lines of plain text: WeasyPrint lays
    out every element, inline box and line on its own, so a thousand rows of
    badges and nested blocks took far too long. Here a cell is one text with
    line breaks (white-space: pre-line) in a table of fixed column widths
    (templates/reports/_portfolio_body.html)."""

    def kpis(self, row: Row) -> str:
        if not row.kpis:
            return "no business KPI"
        lines = []
        for kpi in row.kpis:
            change = kpi.after_launch_change
            after = "" if change is None else f" (after launch {signed_pct(change)})"
            lines.append(
                f"{self.text[kpi.name]} {num(kpi.baseline)} → {num(kpi.latest)} / "
                f"{num(kpi.target)}: {pct(kpi.progress)}, "
                f"{_STATUS_TEXT[kpi.status]}{after}"
            )
        return "\n".join(lines)

    def slas(self, row: Row) -> str:
        if not row.slas:
            return "no SLA"
        lines = []
        for name, compliance in row.slas:
            shown = (
                f"{pct(compliance.ratio, 1)}, budget {pct(compliance.budget_remaining)}"
                if compliance.total
                else "no checks"
            )
            lines.append(f"{self.text[name]} {shown}")
        return "\n".join(lines)

    def row(self, row: Row) -> str:
        product, f = row.product, row.figures
        stage = _STAGE_TEXT.get(product.stage) or self.text[product.stage]
        risk = _RISK_TIERS.get(product.risk_tier) or self.text[product.risk_tier]
        owners = "complete" if f["owners_complete"] else "incomplete"
        total, covered = f["sev12_incidents"], f["sev12_with_published_postmortem"]
        postmortems = f"postmortems {covered}/{total}" if total else "no SEV1–2"
        state = f["latest_ci_state"]
        ci = (
            "none"
            if state is None
            else f"{self.text[state]}\n{_e((f['latest_ci_sha'] or '')[:7])}"
        )
        overdue = f["overdue_kpi_followups"]
        return (
            f"<tr><td><strong>{_e(product.name)}</strong>\n"
            f"{self.text[product.team.name]} · {stage} · {risk} risk"
            f"{_production(f, pdf=True)}</td>"
            f"<td>{f['readiness_passed']}/{f['readiness_applicable']}, "
            f"ML Test {num(f['ml_test_score'])}\nowners {owners}</td>"
            f"<td>{self.kpis(row)}</td><td>{self.slas(row)}</td>"
            f"<td>{_incident_lines(f)}</td>"
            f"<td>{postmortems}\n"
            f"actions {f['open_action_items']} open, "
            f"{f['overdue_action_items']} overdue</td><td>{ci}</td>"
            f'<td class="num{" bad-text" if overdue else ""}">{overdue}</td></tr>'
        )


_STAGE_TEXT = {value: escape(label) for value, label in Stage.choices}
_STATUS_TEXT = {key: escape(label) for key, label in STATUS_LABELS.items()}


def _incident_lines(f: dict) -> str:
    if not f["incidents"]:
        return "none"
    counts = " · ".join(f"{_e(sev.upper())} {n}" for sev, n in _by_severity(f))
    return (
        f"{counts}\ndetect {duration(f['median_time_to_detect'])}, "
        f"resolve {duration(f['median_time_to_resolve'])}"
    )


def pdf_rows(rows: Iterable[ProductRow]) -> SafeString:
    """The products table's rows for the PDF export: the same figures as lines."""
    writer = _PdfWriter()
    return mark_safe("\n".join([writer.row(row) for row in rows]))


def product_rows(rows: Iterable[Row]) -> SafeString:
    """The <tr> of each product (the page shows one page of the table, as the
    standings keep its rows)."""
    writer = _Writer()
    return mark_safe("\n".join([writer.row(row) for row in rows]))


def attention_items(
    entries: Iterable[AttentionEntry | StandingEntry], *, pdf: bool = False
) -> SafeString:
    """An <li> per product that needs attention, most urgent first, with its
    rank, stage, risk tier and reasons (the report's ranking, or on the page
    the standings') (in the PDF, without the link and the
    styled team name: a box less each)."""
    writer = _Writer()
    items = []
    for entry in entries:
        product = entry.product
        stage = _STAGE_TEXT.get(product.stage) or writer.text[product.stage]
        risk = _RISK_TIERS.get(product.risk_tier) or writer.text[product.risk_tier]
        about = f"{writer.text[product.team.name]} · {stage} · {risk} risk"
        reasons = _e("; ".join(entry.reasons))
        if pdf:
            items.append(
                f"<li>{entry.rank}. <strong>{_e(product.name)}</strong> ({about})"
                f" — {reasons}</li>"
            )
        else:
            items.append(
                f'<li><span class="rank">{entry.rank}</span> {writer.link(product)}'
                f' <span class="muted small">{about}</span>'
                f'<div class="reasons">{reasons}</div></li>'
            )
    return mark_safe("".join(items))
