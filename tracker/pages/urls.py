"""The composed product screens, routed in the `products` namespace by
tracker/urls.py (after tracker.products.urls, whose `new/` must win over a slug)."""

from django.urls import path

from tracker.pages import pickers, views
from tracker.pages.selectors import PRODUCT_TABS

product_urlpatterns = [
    path("<slug:slug>/", views.product_detail, name="detail"),
    *(
        path(f"<slug:slug>/{tab}/", views.product_detail, {"tab": tab}, name=tab)
        for tab in PRODUCT_TABS
        if tab != "overview"  # the product's own URL, above
    ),
    path("<slug:slug>/model-card.pdf", views.model_card_pdf, name="model_card_pdf"),
    path("<slug:slug>/metrics/<int:pk>/", views.metric_detail, name="metric_detail"),
    path("<slug:slug>/slas/<int:pk>/", views.sla_detail, name="sla_detail"),
    path("<slug:slug>/sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path(
        "<slug:slug>/sessions/<int:pk>/notes/",
        views.session_notes,
        name="session_notes",
    ),
    path(
        "<slug:slug>/sessions/<int:pk>/survey/",
        views.session_survey_add,
        name="session_survey_add",
    ),
]

# The picker endpoints (tracker.pages.pickers), mounted at /pick/.
picker_urlpatterns = [
    path("products/", pickers.products, name="products"),
    path("people/", pickers.people, name="people"),
    path("teams/", pickers.teams, name="teams"),
    path("incidents/", pickers.incidents, name="incidents"),
]
