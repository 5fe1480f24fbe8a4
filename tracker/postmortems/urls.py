"""Pages of the postmortems app, mounted at the site root (tracker/urls.py):
/postmortems/…, /action-items/…, /me/ and /people/<username>/."""

from django.urls import path

from tracker.postmortems.views import action_items, pages, parts, policies

app_name = "postmortems"

PM = "postmortems/<int:pk>"

urlpatterns = [
    path("postmortems/", pages.postmortem_list, name="list"),
    path("postmortems/library/", pages.library, name="library"),
    path("postmortems/policies/", policies.policy_violations, name="policies"),
    path("postmortems/new/", pages.postmortem_create, name="create"),
    path(
        "postmortems/from-incident/<int:incident_pk>/",
        pages.postmortem_from_incident,
        name="from_incident",
    ),
    path(f"{PM}/", pages.postmortem_detail, name="detail"),
    path(f"{PM}/edit/", pages.postmortem_edit, name="edit"),
    path(f"{PM}/details/", pages.postmortem_details, name="details"),
    path(f"{PM}/transition/", pages.postmortem_transition, name="transition"),
    path(f"{PM}/check/<slug:section>/", pages.blameless_check, name="check"),
    path(
        f"{PM}/warnings/<int:warning_pk>/accept/",
        pages.warning_accept,
        name="warning_accept",
    ),
    path(f"{PM}/print/", pages.postmortem_print, name="print"),
    path(f"{PM}/export.md", pages.postmortem_export, name="export"),
    path(f"{PM}/timeline/", parts.moment_add, name="moment_add"),
    path(f"{PM}/timeline/prefill/", parts.timeline_prefill, name="timeline_prefill"),
    path(f"{PM}/timeline/<int:moment_pk>/edit/", parts.moment_edit, name="moment_edit"),
    path(f"{PM}/timeline/<int:moment_pk>/star/", parts.moment_star, name="moment_star"),
    path(
        f"{PM}/timeline/<int:moment_pk>/delete/",
        parts.moment_delete,
        name="moment_delete",
    ),
    path(f"{PM}/factors/", parts.factor_add, name="factor_add"),
    path(f"{PM}/factors/<int:factor_pk>/edit/", parts.factor_edit, name="factor_edit"),
    path(
        f"{PM}/factors/<int:factor_pk>/delete/",
        parts.factor_delete,
        name="factor_delete",
    ),
    path(f"{PM}/impacts/", parts.impact_add, name="impact_add"),
    path(
        f"{PM}/impacts/<int:impact_pk>/delete/",
        parts.impact_remove,
        name="impact_remove",
    ),
    path(f"{PM}/actions/", action_items.action_add, name="action_add"),
    path("action-items/", action_items.action_item_board, name="action_items"),
    path(
        "action-items/from-session/<int:session_pk>/",
        action_items.session_action_add,
        name="session_action_add",
    ),
    path("action-items/<int:pk>/edit/", action_items.action_edit, name="action_edit"),
    path(
        "action-items/<int:pk>/status/",
        action_items.action_status,
        name="action_status",
    ),
    path("me/", action_items.my_work, name="my_work"),
    path("people/<str:username>/", action_items.person_work, name="person_work"),
]
