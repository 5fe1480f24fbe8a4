"""The PDFs as a reader sees them: every box inside the page, every chart drawn
with its lines and colours, and no Python value (None, nan, -%) printed."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory
from pypdf import PdfReader
from weasyprint.formatting_structure.boxes import MarginBox

from tests.factories import MeasurementFactory, MetricFactory, SLAFactory
from tests.reports.test_portfolio import _incident
from tracker.lib.charts import PALETTE
from tracker.lib.pdf import pdf_document
from tracker.reports import views

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
PYTHON_VALUES = re.compile(r"\bNone\b|\bnan\b|\binf\b|-%|\bTrue\b|\bFalse\b")


@pytest.fixture
def launched_product(product):
    """Launched, with a KPI measured monthly, an SLA without checks, a KPI
    without baseline or measurements, and incidents over the months (some
    resolved, so the time-to-resolve chart has a line)."""
    product.stage, product.launched_at = "production", NOW - timedelta(days=120)
    product.save()
    kpi = MetricFactory(
        product=product,
        name="Chargeback losses",
        unit="k€",
        direction="lower",
        baseline=2.3,
        target=1.8,
    )
    for month in range(8):
        MeasurementFactory(
            metric=kpi,
            value=2.0 + (month % 3) / 10,
            measured_at=NOW - timedelta(days=30 * month + 1),
        )
    MetricFactory(product=product, name="Approvals", baseline=None, target=None)
    SLAFactory(product=product, name="Latency")
    for days, resolve in ((120, 90), (90, 600), (60, 45), (30, 240), (10, None)):
        _incident(
            product,
            started=NOW - timedelta(days=days),
            detect_min=5,
            resolve_min=resolve,
        )
    return product


def _boxes(box):
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)


def _outside(document) -> list[str]:
    """Boxes that cross the page's content area (the margins hold the footer)."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left, top = page_box.content_box_x(), page_box.content_box_y()
        right, bottom = left + page_box.width, top + page_box.height
        for child in page_box.children:
            if isinstance(child, MarginBox):
                continue
            for box in _boxes(child):
                x, y = box.border_box_x(), box.border_box_y()
                w, h = box.border_width(), box.border_height()
                if x < left - 0.5 or x + w > right + 0.5 or y + h > bottom + 0.5:
                    found.append(
                        f"page {number}: {type(box).__name__} {box.element_tag}"
                    )
    return found


def _operators(page) -> list[tuple[list, bytes]]:
    """The page's drawing operators, its form XObjects' (where WeasyPrint puts
    SVGs) included."""
    from pypdf.generic import ContentStream

    found = []

    def walk(stream, resources):
        for operands, operator in ContentStream(stream, page.pdf).operations:
            found.append((operands, operator))
            if operator == b"Do" and resources and "/XObject" in resources:
                xobject = resources["/XObject"][operands[0]].get_object()
                if xobject.get("/Subtype") == "/Form":
                    walk(xobject, xobject.get("/Resources"))

    walk(page.get_contents(), page.get("/Resources"))
    return found


def _rgb(hex_colour: str) -> list[float]:
    return [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]


def _stroked_lines(pdf: bytes, colour: str) -> int:
    """Line segments stroked in `colour` across the document."""
    wanted, count = _rgb(colour), 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        current, lines = None, 0
        for operands, operator in _operators(page):
            if operator == b"RG":
                current = [float(v) for v in operands]
            elif operator == b"l":
                lines += 1
            elif operator in (b"S", b"s", b"B", b"B*", b"b", b"b*"):  # stroked
                if current and all(
                    abs(a - b) < 0.01 for a, b in zip(current, wanted, strict=True)
                ):
                    count += lines
                lines = 0
            elif operator in (b"n", b"f", b"F", b"f*"):  # only filled
                lines = 0
    return count


def _portfolio_pdf(user):
    request = RequestFactory().get("/reports/portfolio.pdf")
    request.user = user
    context = views.portfolio_pdf_context(request)
    return pdf_document(
        "reports/portfolio_pdf.html", context, base_url="http://testserver/"
    )


def _product_pdf(user, product):
    context = views.product_summary_context(user=user, product=product)
    return pdf_document(
        "reports/product_pdf.html", context, base_url="http://testserver/"
    )


@time_machine.travel(NOW, tick=False)
def test_portfolio_pdf_keeps_every_card_inside_the_page(alice, launched_product):
    document = _portfolio_pdf(alice)
    assert _outside(document) == []
    pdf = document.write_pdf()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Median time to resolve" in text
    # the two line charts (closure, time to resolve) have their lines
    assert _stroked_lines(pdf, PALETTE[0]) >= 3


@time_machine.travel(NOW, tick=False)
def test_product_pdf_draws_its_charts_as_the_page_does(alice, launched_product):
    document = _product_pdf(alice, launched_product)
    assert _outside(document) == []
    pdf = document.write_pdf()
    from tracker.lib.charts import AFTER, LAUNCH, TARGET

    assert _stroked_lines(pdf, AFTER) >= 7  # eight measurements, one line
    assert _stroked_lines(pdf, TARGET) >= 1 and _stroked_lines(pdf, LAUNCH) >= 1
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for key in ("before launch", "after launch", "baseline", "target", "k€"):
        assert key in text, key
    assert re.search(r"\b(Jan|Mar|May) 2026\b", text)  # dated ticks, not "26-05"


@time_machine.travel(NOW, tick=False)
def test_no_python_value_is_printed_in_the_pdfs_or_the_csv(
    alice, alice_client, launched_product
):
    """A dataset with missing values: a KPI without baseline, target or
    measurement, an SLA without checks, an unresolved incident."""
    from django.urls import reverse

    for pdf in (
        _portfolio_pdf(alice).write_pdf(),
        _product_pdf(alice, launched_product).write_pdf(),
    ):
        for page in PdfReader(io.BytesIO(pdf)).pages:
            text = page.extract_text()
            assert not PYTHON_VALUES.search(text), PYTHON_VALUES.search(text)
    csv = alice_client.get(reverse("reports:portfolio_csv")).content.decode()
    for cell in (cell for line in csv.splitlines() for cell in line.split(",")):
        assert not PYTHON_VALUES.search(cell), cell
    assert "Approvals: no baseline -> no measurement / no target (no data)" in csv


def test_the_product_page_links_to_its_pdf_summary(alice_client, product):
    page = alice_client.get(product.get_absolute_url()).content.decode()
    assert f'href="/reports/products/{product.slug}.pdf">PDF summary</a>' in page
