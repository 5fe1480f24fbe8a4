"""API routes of the postmortems app, included under /api/v1/ (tracker/urls.py)."""

from django.urls import path

from tracker.postmortems import api

urlpatterns = [
    path("postmortems/", api.PostmortemListCreateApi.as_view(), name="postmortem-list"),
    path(
        "postmortems/<int:pk>/",
        api.PostmortemDetailApi.as_view(),
        name="postmortem-detail",
    ),
    path(
        "postmortems/<int:pk>/transition/",
        api.PostmortemTransitionApi.as_view(),
        name="postmortem-transition",
    ),
    path(
        "action-items/",
        api.ActionItemListCreateApi.as_view(),
        name="action-item-list",
    ),
    path(
        "action-items/<int:pk>/",
        api.ActionItemDetailApi.as_view(),
        name="action-item-detail",
    ),
]
