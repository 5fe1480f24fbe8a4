"""API routes of the incidents app, included under /api/v1/ (tracker/urls.py)."""

from django.urls import path

from tracker.incidents import api

urlpatterns = [
    path("incidents/", api.IncidentListCreateApi.as_view(), name="incident-list"),
    path(
        "incidents/<int:pk>/", api.IncidentDetailApi.as_view(), name="incident-detail"
    ),
    path(
        "incidents/<int:pk>/notes/",
        api.IncidentNotesApi.as_view(),
        name="incident-notes",
    ),
    path(
        "integrations/",
        api.IntegrationListCreateApi.as_view(),
        name="integration-list",
    ),
    path(
        "integrations/<int:pk>/",
        api.IntegrationDetailApi.as_view(),
        name="integration-detail",
    ),
]
