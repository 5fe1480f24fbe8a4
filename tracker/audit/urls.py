from django.urls import path

from tracker.audit import views

app_name = "audit"

urlpatterns = [
    path("<slug:slug>/history/", views.product_history, name="product_history"),
]
