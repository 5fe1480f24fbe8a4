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
from tracker.reports.selectors.rows import STATUS_LABELS, ProductRow


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

    def kpis(self, row: ProductRow) -> str:
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

    def slas(self, row: ProductRow) -> str:
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

    def row(self, row: ProductRow) -> str:
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
        stage = _STAGES.get(product.stage) or _stage_badge(product.stage, product.stage)
        risk = _RISK_TIERS.get(product.risk_tier) or self.text[product.risk_tier]
        return (
            f'<tr><td>{self.link(product)}<div class="muted small">'
            f"{self.text[product.team.name]} · {risk} risk</div></td>"
            f"<td>{stage}{_production(row)}</td><td>{owners}</td>"
            f'<td class="nowrap">{row.readiness.passed_count}/'
            f"{row.readiness.applicable_count}"
            f'<div class="muted small">ML Test {num(row.ml_score.score)}</div>'
            f"{self.worst_segment(row)}</td>"
            f"<td>{self.kpis(row)}</td><td>{self.slas(row)}</td>"
            f'<td class="nowrap">{_incidents(row)}</td>'
            f'<td class="nowrap small">{_learning(row)}</td><td>{self.ci(row)}</td>'
            f'<td class="num">{overdue}</td></tr>'
        )

    def worst_segment(self, row: ProductRow) -> str:
        """The worst segment against its floor (docs/cards.md), if any."""
        worst = row.worst_segment
        if worst is None:
            return ""
        tone = "good-text" if worst.meets_floor else "bad-text"
        return (
            f'<div class="small">worst {self.text[worst.segment]}: '
            f'<span class="{tone}">{num(worst.value)}</span> / floor '
            f"{num(worst.floor)}</div>"
        )

    def ci(self, row: ProductRow) -> str:
        if not row.ci:
            return '<span class="muted">none</span>'
        state = row.ci.state
        return (
            f'<span class="badge {_CI_TONES.get(state, "")}">'
            f"{self.text[state or 'no status']}</span>"
            f'<div class="small muted">{_e((row.ci.sha or "")[:7])}</div>'
        )


def _production(row: ProductRow, *, pdf: bool = False) -> str:
    """The version serving in production and when it shipped."""
    if not row.production:
        return ""
    version = _e(row.production.version.version)
    shipped = f"{row.production.deployed_at:%Y-%m-%d}"
    if pdf:
        return f"\nserving {version} since {shipped}"
    return f'<div class="small muted">serving {version} since {shipped}</div>'


def _incidents(row: ProductRow) -> str:
    if not row.incident_count:
        return '<span class="muted">none</span>'
    badges = "".join(f"{_severity(sev)}{n}</span> " for sev, n in row.incidents.items())
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


class _PdfWriter(_Writer):
    """The same figures for the PDF, as lines of plain text: WeasyPrint lays
    out every element, inline box and line on its own, so a thousand rows of
    badges and nested blocks took far too long. Here a cell is one text with
    line breaks (white-space: pre-line) in a table of fixed column widths
    (templates/reports/_portfolio_body.html)."""

    def kpis(self, row: ProductRow) -> str:
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

    def slas(self, row: ProductRow) -> str:
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

    def row(self, row: ProductRow) -> str:
        product = row.product
        stage = _STAGE_TEXT.get(product.stage) or self.text[product.stage]
        risk = _RISK_TIERS.get(product.risk_tier) or self.text[product.risk_tier]
        owners = "complete" if row.owners_complete else "incomplete"
        done = row.postmortems
        postmortems = (
            f"postmortems {done.covered}/{done.total}" if done.total else "no SEV1–2"
        )
        ci = (
            f"{self.text[row.ci.state or 'no status']}\n{_e((row.ci.sha or '')[:7])}"
            if row.ci
            else "none"
        )
        overdue = row.overdue_followups
        return (
            f"<tr><td><strong>{_e(product.name)}</strong>\n"
            f"{self.text[product.team.name]} · {stage} · {risk} risk"
            f"{_production(row, pdf=True)}</td>"
            f"<td>{row.readiness.passed_count}/{row.readiness.applicable_count}, "
            f"ML Test {num(row.ml_score.score)}\nowners {owners}</td>"
            f"<td>{self.kpis(row)}</td><td>{self.slas(row)}</td>"
            f"<td>{_incident_lines(row)}</td>"
            f"<td>{postmortems}\n"
            f"actions {row.open_action_items} open, "
            f"{row.overdue_action_items} overdue</td><td>{ci}</td>"
            f'<td class="num{" bad-text" if overdue else ""}">{overdue}</td></tr>'
        )


_STAGE_TEXT = {value: escape(label) for value, label in Stage.choices}
_STATUS_TEXT = {key: escape(label) for key, label in STATUS_LABELS.items()}


def _incident_lines(row: ProductRow) -> str:
    if not row.incident_count:
        return "none"
    counts = " · ".join(f"{_e(sev.upper())} {n}" for sev, n in row.incidents.items())
    return (
        f"{counts}\ndetect {duration(row.median_ttd)}, "
        f"resolve {duration(row.median_ttr)}"
    )


def pdf_rows(rows: Iterable[ProductRow]) -> SafeString:
    """The products table's rows for the PDF export: the same figures as lines."""
    writer = _PdfWriter()
    return mark_safe("\n".join([writer.row(row) for row in rows]))


def product_rows(rows: Iterable[ProductRow]) -> SafeString:
    """The <tr> of each product (the page shows one page of the table)."""
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
