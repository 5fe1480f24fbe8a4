"""The model card and decision pages, under /products/<slug>/ (tracker/urls.py)."""

from django.urls import path

from tracker.cards import views

app_name = "cards"

urlpatterns = [
    path("<slug:slug>/model-card/", views.model_card, name="card"),
    path("<slug:slug>/model-card/edit/", views.model_card_edit, name="card_edit"),
    path(
        "<slug:slug>/versions/<int:pk>/model-card/",
        views.version_card,
        name="version_card",
    ),
    path(
        "<slug:slug>/versions/<int:pk>/model-card/new/",
        views.version_card_create,
        name="version_card_create",
    ),
    path(
        "<slug:slug>/versions/<int:pk>/model-card/edit/",
        views.version_card_edit,
        name="version_card_edit",
    ),
    path("<slug:slug>/decisions/", views.decisions, name="decisions"),
    path(
        "<slug:slug>/decisions/<int:pk>/approvals/<int:approval_pk>/",
        views.approval_answer,
        name="approval_answer",
    ),
]
