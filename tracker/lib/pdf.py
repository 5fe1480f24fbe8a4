"""PDF renderings of report pages (the portfolio, a product, a model card, the
insights): HTML templates printed by WeasyPrint, with the same server-rendered
SVG charts as the pages."""

from django.template.loader import render_to_string


def _html(template: str, context: dict, *, base_url: str):
    from weasyprint import HTML  # imported lazily: heavy, and only exports need it

    return HTML(string=render_to_string(template, context), base_url=base_url)


def pdf_document(template: str, context: dict, *, base_url: str):
    """The laid-out PDF (a WeasyPrint Document): its pages' boxes are what the
    tests check stay inside the page."""
    return _html(template, context, base_url=base_url).render()


def render_pdf(template: str, context: dict, *, base_url: str) -> bytes:
    return _html(template, context, base_url=base_url).write_pdf()
