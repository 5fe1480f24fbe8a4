"""Routes under /api/v1/ for notifications; a plain list for tracker/api_urls.py
to include."""

from django.urls import path

from tracker.reminders import api

urlpatterns = [
    path(
        "notifications/",
        api.NotificationListAPI.as_view(),
        name="api-notification-list",
    ),
    path(
        "notifications/<int:pk>/read/",
        api.NotificationReadAPI.as_view(),
        name="api-notification-read",
    ),
]
