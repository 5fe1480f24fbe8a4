"""/integrations/…: connections to a team's tools and outgoing webhooks."""

from django.urls import path

from tracker.integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.integrations_home, name="home"),
    path("webhooks/new/", views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/test/", views.webhook_send_test, name="webhook_test"),
    path("connections/new/", views.connection_create, name="connection_create"),
    path("connections/<int:pk>/", views.connection_detail, name="connection_detail"),
    path("connections/<int:pk>/edit/", views.connection_edit, name="connection_edit"),
    path(
        "action-items/<int:pk>/issue/",
        views.action_item_issue,
        name="issue_create",
    ),
]
