from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView

from tracker.ci.views import product_badge


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="products:list"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("tracker.accounts.urls")),
    path("products/", include("tracker.products.urls")),
    path("products/<slug:slug>/badge.svg", product_badge, name="ci-badge"),
    path("api/v1/", include("tracker.api_urls")),
    path("admin/", admin.site.urls),
]
