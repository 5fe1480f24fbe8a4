from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from tracker.ci.views import product_badge
from tracker.incidents.receiver import alerts_receive
from tracker.integrations.hooks import github_receive
from tracker.lib.unavailable import RETRY_AFTER_SECONDS
from tracker.pages import urls as pages_urls
from tracker.products import urls as products_urls
from tracker.readiness import urls as readiness_urls

# Any error the database could not be reached for is a 503, wherever it happens.
handler404 = "tracker.lib.api.not_found"
handler500 = "tracker.lib.unavailable.server_error"


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: the app answers and its database does. A
    query, not just a connection: a pooled connection the server dropped still
    looks connected until it is used."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        response = HttpResponse(
            "database unavailable", status=503, content_type="text/plain"
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="products:list"), name="home"),
    path("healthz", healthz, name="healthz"),
    # Before the includes mounted at "" below: an API request is then routed
    # without trying every page of those apps first (CI posts are the busiest).
    path("api/v1/", include("tracker.api_urls")),
    path("accounts/", include("tracker.accounts.urls")),
    # One `products` namespace (products:detail, products:stage …) served by
    # three apps: the product's own pages first (their `new/` wins over a slug),
    # then the stage move (readiness owns the gate) and the composed screens.
    path(
        "products/",
        include(
            (
                [
                    *products_urls.urlpatterns,
                    *readiness_urls.product_urlpatterns,
                    *pages_urls.product_urlpatterns,
                ],
                "products",
            )
        ),
    ),
    path("products/", include("tracker.readiness.urls")),
    path("products/", include("tracker.cards.urls")),
    path("products/", include("tracker.releases.urls")),
    path("products/", include("tracker.outcomes.urls")),
    path("products/", include("tracker.products.history_urls")),
    # What pickers offer as the person types (tracker.pages.pickers).
    path("pick/", include((pages_urls.picker_urlpatterns, "pickers"))),
    path("reports/", include("tracker.reports.urls")),
    path("insights/", include("tracker.insights.urls")),
    path("search/", include("tracker.search.urls")),
    path("incidents/", include("tracker.incidents.urls")),
    path("integrations/", include("tracker.integrations.urls")),
    # /postmortems/…, /action-items/…, /me/ and /people/<username>/
    path("", include("tracker.postmortems.urls")),
    # Monitoring tools post here; authenticated per integration, not by session.
    path("hooks/alerts/<int:integration_id>/", alerts_receive, name="alerts_receive"),
    # GitHub's issues webhook; authenticated by its HMAC signature.
    path("hooks/github/<int:connection_id>/", github_receive, name="github_hook"),
    path("", include("tracker.reminders.urls")),
    # /data/ (staff: export and import everything), /products/<slug>/export.json
    path("", include("tracker.porting.urls")),
    path("products/<slug:slug>/badge.svg", product_badge, name="ci-badge"),
    path("admin/", admin.site.urls),
]
