"""HTML-side views of CI status: the badge."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from tracker.ci import selectors
from tracker.ci.badges import badge_svg


@require_GET
def product_badge(request: HttpRequest, slug: str) -> HttpResponse:
    """The latest commit's combined CI state, for READMEs and dashboards."""
    product = selectors.product_get_for_badge(user=request.user, slug=slug)
    combined = selectors.ci_status_combined(product=product)
    response = HttpResponse(
        badge_svg(label="CI", state=combined.state), content_type="image/svg+xml"
    )
    # Image proxies (e.g. GitHub's) must revalidate rather than keep a stale state.
    response["Cache-Control"] = "no-cache"
    return response
