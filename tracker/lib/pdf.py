"""PDF renderings of report pages (the portfolio, a product, the insights):
HTML templates printed by WeasyPrint, with the same server-rendered SVG charts
as the pages."""

from django.template.loader import render_to_string


def render_pdf(template: str, context: dict, *, base_url: str) -> bytes:
    from weasyprint import HTML  # imported lazily: heavy, and only exports need it

    html = render_to_string(template, context)
    return HTML(string=html, base_url=base_url).write_pdf()
