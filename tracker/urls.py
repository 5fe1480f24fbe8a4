from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from tracker.ci.views import product_badge
from tracker.incidents.receiver import alerts_receive


def healthz(request):
    """Liveness for load balancers: the app answers and reaches its database."""
    try:
        connection.ensure_connection()
    except DatabaseError:
        return HttpResponse(
            "database unavailable", status=503, content_type="text/plain"
        )
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="products:list"), name="home"),
    path("healthz", healthz, name="healthz"),
    # Before the includes mounted at "" below: an API request is then routed
    # without trying every page of those apps first (CI posts are the busiest).
    path("api/v1/", include("tracker.api_urls")),
    path("accounts/", include("tracker.accounts.urls")),
    path("products/", include("tracker.products.urls")),
    path("products/", include("tracker.readiness.urls")),
    path("reports/", include("tracker.reports.urls")),
    path("incidents/", include("tracker.incidents.urls")),
    # /postmortems/…, /action-items/…, /me/ and /people/<username>/
    path("", include("tracker.postmortems.urls")),
    # Monitoring tools post here; authenticated per integration, not by session.
    path("hooks/alerts/<int:integration_id>/", alerts_receive, name="alerts_receive"),
    path("", include("tracker.reminders.urls")),
    path("products/<slug:slug>/badge.svg", product_badge, name="ci-badge"),
    path("admin/", admin.site.urls),
]
