from django.urls import path

from tracker.releases import views

app_name = "releases"

urlpatterns = [
    path("<slug:slug>/versions/", views.version_list, name="version_list"),
    path("<slug:slug>/versions/add/", views.version_add, name="version_add"),
    path("<slug:slug>/versions/<int:pk>/", views.version_detail, name="version_detail"),
    path(
        "<slug:slug>/versions/<int:pk>/approve/",
        views.version_approve,
        name="version_approve",
    ),
    path(
        "<slug:slug>/versions/<int:pk>/aliases/",
        views.version_aliases,
        name="version_aliases",
    ),
    path("<slug:slug>/deployments/add/", views.deployment_add, name="deployment_add"),
    path("<slug:slug>/mlflow/", views.mlflow_edit, name="mlflow_edit"),
    path("<slug:slug>/mlflow/sync/", views.mlflow_sync, name="mlflow_sync"),
]
