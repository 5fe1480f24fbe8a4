from django.urls import path

from tracker.reminders import views

app_name = "reminders"

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read_all, name="read_all"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/<int:pk>/", views.notification_open, name="open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="read"),
    # Product follow-ups, beside the product's own pages.
    path(
        "products/<slug:slug>/kpi-reviews/", views.kpi_review_list, name="kpi_reviews"
    ),
    path(
        "products/<slug:slug>/kpi-reviews/<int:pk>/",
        views.kpi_review_detail,
        name="kpi_review",
    ),
    path(
        "products/<slug:slug>/survey/reviewed/",
        views.survey_reviewed,
        name="survey_reviewed",
    ),
    path(
        "products/<slug:slug>/slas/<int:pk>/reviewed/",
        views.sla_reviewed,
        name="sla_reviewed",
    ),
]
