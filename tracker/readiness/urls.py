from django.urls import path

from tracker.readiness import views

app_name = "readiness"

urlpatterns = [
    path("<slug:slug>/readiness/", views.readiness_detail, name="detail"),
    path(
        "<slug:slug>/readiness/tests/<str:code>/",
        views.ml_test_edit,
        name="ml_test_edit",
    ),
]

# The stage move keeps its name in the products namespace (`products:stage`);
# tracker/urls.py routes it there.
product_urlpatterns = [
    path("<slug:slug>/stage/", views.product_stage, name="stage"),
]
