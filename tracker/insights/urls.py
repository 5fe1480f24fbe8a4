"""Insights pages, mounted at /insights/ (tracker/urls.py)."""

from django.urls import path

from tracker.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.insights_page, name="page"),
    path("insights.pdf", views.insights_pdf, name="pdf"),
]
