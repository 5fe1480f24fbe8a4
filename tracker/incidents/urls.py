from django.urls import path

from tracker.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("inbox/", views.incident_inbox, name="inbox"),
    path("new/", views.incident_create, name="create"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.incident_acknowledge, name="acknowledge"),
    path("<int:pk>/resolve/", views.incident_resolve, name="resolve"),
    path("<int:pk>/change/", views.incident_change, name="change"),
    path("<int:pk>/notes/", views.incident_note, name="note"),
    path("integrations/", views.integration_list, name="integration_list"),
    path("integrations/new/", views.integration_create, name="integration_create"),
    path(
        "integrations/<int:pk>/",
        views.integration_detail,
        name="integration_detail",
    ),
    path(
        "integrations/<int:pk>/revoke/",
        views.integration_revoke,
        name="integration_revoke",
    ),
]
