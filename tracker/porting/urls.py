from django.urls import path

from tracker.porting import views

app_name = "porting"

urlpatterns = [
    path("data/", views.data_page, name="data"),
    path("data/export.json", views.instance_export, name="instance_export"),
    path(
        "products/<slug:slug>/export.json", views.product_export, name="product_export"
    ),
]
