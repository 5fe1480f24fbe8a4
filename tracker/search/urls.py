"""The global search page, mounted at /search/ (tracker/urls.py)."""

from django.urls import path

from tracker.search import views

app_name = "search"

urlpatterns = [path("", views.search_results, name="results")]
