from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from tracker.incidents.receiver import alerts_receive


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="products:list"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("tracker.accounts.urls")),
    path("products/", include("tracker.products.urls")),
    path("incidents/", include("tracker.incidents.urls")),
    # /postmortems/…, /action-items/…, /me/ and /people/<username>/
    path("", include("tracker.postmortems.urls")),
    # Monitoring tools post here; authenticated per integration, not by session.
    path("hooks/alerts/<int:integration_id>/", alerts_receive, name="alerts_receive"),
    # Until the API foundation lands its /api/v1/ URLconf, which includes this.
    path("api/v1/", include("tracker.incidents.api_urls")),
    path("api/v1/", include("tracker.postmortems.api_urls")),
    path("admin/", admin.site.urls),
]
