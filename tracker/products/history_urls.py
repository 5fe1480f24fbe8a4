"""The product history page. Its URL name stays in the "audit" namespace
(audit:product_history), which the audit trail's links reverse."""

from django.urls import path

from tracker.products import views_history

app_name = "audit"

urlpatterns = [
    path(
        "<slug:slug>/history/",
        views_history.product_history,
        name="product_history",
    ),
]
