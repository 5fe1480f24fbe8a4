"""The products' own pages. The `products` namespace also holds the stage move
(tracker.readiness) and the composed screens (tracker.pages): tracker/urls.py
joins them, keeping every URL and name."""

from django.urls import path

from tracker.products import views, views_experiments

app_name = "products"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("new/", views.product_create, name="create"),
    path("<slug:slug>/edit/", views.product_edit, name="edit"),
    path("<slug:slug>/metrics/new/", views.metric_create, name="metric_create"),
    path("<slug:slug>/metrics/<int:pk>/edit/", views.metric_edit, name="metric_edit"),
    path(
        "<slug:slug>/metrics/<int:pk>/measurements/<int:measurement_pk>/delete/",
        views.measurement_delete,
        name="measurement_delete",
    ),
    path("<slug:slug>/slas/new/", views.sla_create, name="sla_create"),
    path("<slug:slug>/slas/<int:pk>/edit/", views.sla_edit, name="sla_edit"),
    path("<slug:slug>/survey/", views.survey, name="survey"),
    path("<slug:slug>/survey/new/", views.survey_create, name="survey_create"),
    path("<slug:slug>/survey/<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("<slug:slug>/sessions/new/", views.session_create, name="session_create"),
    path(
        "<slug:slug>/sessions/<int:pk>/edit/", views.session_edit, name="session_edit"
    ),
    path("<slug:slug>/rollout/", views_experiments.rollout, name="rollout"),
    path(
        "<slug:slug>/rollout/<int:pk>/edit/",
        views_experiments.rollout_step_edit,
        name="rollout_step_edit",
    ),
    path(
        "<slug:slug>/rollout/<int:pk>/delete/",
        views_experiments.rollout_step_delete,
        name="rollout_step_delete",
    ),
    path(
        "<slug:slug>/experiments/new/",
        views_experiments.experiment_create,
        name="experiment_create",
    ),
    path(
        "<slug:slug>/experiments/<int:pk>/",
        views_experiments.experiment_detail,
        name="experiment",
    ),
    path(
        "<slug:slug>/experiments/<int:pk>/edit/",
        views_experiments.experiment_edit,
        name="experiment_edit",
    ),
]
