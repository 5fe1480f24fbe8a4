"""Outcomes pages, under /products/<slug>/ (tracker/urls.py)."""

from django.urls import path

from tracker.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("<slug:slug>/feedback/", views.feedback_list, name="feedback"),
    path("<slug:slug>/feedback/add/", views.feedback_add, name="feedback_add"),
    path(
        "<slug:slug>/feedback/threshold/",
        views.feedback_threshold,
        name="feedback_threshold",
    ),
    path("<slug:slug>/value/", views.value, name="value"),
    path("<slug:slug>/value/costs/add/", views.cost_add, name="cost_add"),
    path("<slug:slug>/contracts/", views.contracts, name="contracts"),
    path(
        "<slug:slug>/contracts/sources/<int:pk>/",
        views.contract_edit,
        name="contract_edit",
    ),
    path(
        "<slug:slug>/contracts/consumers/add/", views.consumer_add, name="consumer_add"
    ),
    path("<slug:slug>/contracts/changes/add/", views.change_add, name="change_add"),
]
