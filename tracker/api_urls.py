"""All of /api/v1 on one screen. Conventions: docs/api.md."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer

from tracker.accounts import api as accounts
from tracker.cards import api as cards
from tracker.ci import api as ci
from tracker.incidents import api as incidents
from tracker.incidents import sla_api
from tracker.insights import api as insights
from tracker.integrations import api as integrations
from tracker.integrations import sla_api as measured_slas
from tracker.lib.middleware import SWAGGER_UI_CONTENT_SECURITY_POLICY
from tracker.outcomes import api as outcomes
from tracker.porting import api as porting
from tracker.postmortems import api as postmortems
from tracker.postmortems import api_policies
from tracker.products import api as products
from tracker.readiness import api as readiness
from tracker.releases import api as releases
from tracker.reminders import api as reminders
from tracker.reports import api as reports
from tracker.search import api as search

app_name = "api"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from vendored files; its inline styles need a looser policy on
    this page only (the middleware keeps a header that is already set)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = SWAGGER_UI_CONTENT_SECURITY_POLICY
        return response

    def get_renderers(self):
        # OPTIONS answers with data, which the page's HTML template cannot render.
        if self.request.method == "OPTIONS":
            return [JSONRenderer()]
        return super().get_renderers()


P = "products/<slug:slug>"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    # People and tokens
    path("auth/token/", accounts.TokenObtainView.as_view(), name="token"),
    path("auth/tokens/", accounts.PersonTokenListView.as_view(), name="tokens"),
    path("auth/tokens/<int:pk>/", accounts.PersonTokenDetailView.as_view()),
    path("teams/", accounts.TeamListView.as_view(), name="teams"),
    path("teams/<slug:slug>/", accounts.TeamDetailView.as_view(), name="team"),
    path(
        "teams/<slug:slug>/members/",
        accounts.TeamMemberListView.as_view(),
        name="team_members",
    ),
    path(
        "teams/<slug:slug>/members/<str:username>/",
        accounts.TeamMemberDetailView.as_view(),
    ),
    # Products and what belongs to them
    path("products/", products.ProductListView.as_view(), name="products"),
    path(f"{P}/", readiness.ProductDetailView.as_view(), name="product"),
    path(f"{P}/stage-changes/", products.ProductStageChangeListView.as_view()),
    path(f"{P}/metrics/", products.ProductMetricListView.as_view(), name="metrics"),
    # SLAs: integrations adds where the indicator comes from (pushed or Prometheus)
    path(f"{P}/slas/", measured_slas.MeasuredProductSLAListView.as_view(), name="slas"),
    path(f"{P}/segments/", products.ProductSegmentsView.as_view(), name="segments"),
    path(
        f"{P}/rollout-steps/",
        products.ProductRolloutStepListView.as_view(),
        name="rollout_steps",
    ),
    path(f"{P}/rollout-steps/<int:pk>/", products.RolloutStepDetailView.as_view()),
    path(
        f"{P}/experiments/",
        products.ProductExperimentListView.as_view(),
        name="experiments",
    ),
    path(f"{P}/survey/", products.ProductSurveyListView.as_view(), name="survey"),
    path(f"{P}/survey/<int:pk>/", products.SurveyFeatureDetailView.as_view()),
    path(f"{P}/sessions/", products.ProductSessionListView.as_view(), name="sessions"),
    path(f"{P}/sessions/<int:pk>/", products.SessionDetailView.as_view()),
    path(f"{P}/history/", products.ProductHistoryView.as_view(), name="history"),
    # Model card, scope and decisions with sign-off (docs/cards.md)
    path(f"{P}/model-card/", cards.ModelCardView.as_view(), name="model_card"),
    path(f"{P}/decisions/", cards.DecisionListView.as_view(), name="decisions"),
    path(f"{P}/decisions/<int:pk>/", cards.DecisionDetailView.as_view()),
    path(
        f"{P}/decisions/<int:pk>/approvals/<int:approval_pk>/approve/",
        cards.ApprovalAnswerView.as_view(),
        name="approval_approve",
    ),
    path(
        f"{P}/decisions/<int:pk>/approvals/<int:approval_pk>/object/",
        cards.ApprovalObjectView.as_view(),
        name="approval_object",
    ),
    # Readiness: the checklist, the ML Test Score and its tests
    path(
        f"{P}/readiness/",
        readiness.ProductReadinessView.as_view(),
        name="readiness",
    ),
    path(
        f"{P}/ml-test-score/",
        readiness.ProductMLTestScoreView.as_view(),
        name="ml_test_score",
    ),
    path(f"{P}/ml-test-score/<str:code>/", readiness.MLTestDetailView.as_view()),
    # CI: per-product tokens, stage statuses and their history
    path(f"{P}/ci-tokens/", products.CITokenListView.as_view(), name="ci_tokens"),
    path(f"{P}/ci-tokens/<int:pk>/", products.CITokenDetailView.as_view()),
    path(f"{P}/ci-status/", ci.CIStatusView.as_view(), name="ci_status"),
    path(f"{P}/ci-status/history/", ci.CIStatusHistoryView.as_view()),
    # Model releases: versions and deployments (docs/api.md)
    path(
        f"{P}/model-versions/",
        releases.ProductModelVersionsView.as_view(),
        name="model_versions",
    ),
    path(
        "model-versions/<int:pk>/",
        releases.ModelVersionDetailView.as_view(),
        name="model_version",
    ),
    path(
        "model-versions/<int:pk>/model-card/",
        cards.VersionModelCardView.as_view(),
        name="model_version_card",
    ),
    path(
        f"{P}/deployments/",
        releases.ProductDeploymentsView.as_view(),
        name="deployments",
    ),
    # Outcomes after launch: feedback, cost and value, data contracts (docs/value.md)
    path(f"{P}/feedback/", outcomes.ProductFeedbackView.as_view(), name="feedback"),
    path(f"{P}/costs/", outcomes.ProductCostsView.as_view(), name="costs"),
    path(f"{P}/costs/<int:pk>/", outcomes.ProductCostDetailView.as_view()),
    path(f"{P}/value/", outcomes.ProductValueView.as_view(), name="value"),
    path(f"{P}/consumers/", outcomes.ProductConsumersView.as_view(), name="consumers"),
    path(f"{P}/consumers/<int:pk>/", outcomes.ProductConsumerDetailView.as_view()),
    path(
        f"{P}/survey/<int:pk>/contract/",
        outcomes.SurveySourceContractView.as_view(),
        name="source_contract",
    ),
    path(
        f"{P}/contract-changes/",
        outcomes.ProductContractChangesView.as_view(),
        name="contract_changes",
    ),
    # Metrics and SLAs by id
    path("metrics/<int:pk>/", products.MetricDetailView.as_view(), name="metric"),
    path(
        "metrics/<int:pk>/measurements/",
        products.MetricMeasurementListView.as_view(),
        name="measurements",
    ),
    path(
        "metrics/<int:pk>/measurements/<int:measurement_id>/",
        products.MeasurementDetailView.as_view(),
    ),
    path(
        "experiments/<int:pk>/",
        products.ExperimentDetailView.as_view(),
        name="experiment",
    ),
    path("slas/<int:pk>/", measured_slas.MeasuredSLADetailView.as_view(), name="sla"),
    path("slas/<int:pk>/checks/", sla_api.SLACheckListView.as_view(), name="checks"),
    # Incidents and the alert integrations that open them
    path("incidents/", incidents.IncidentListCreateApi.as_view(), name="incidents"),
    path("incidents/<int:pk>/", incidents.IncidentDetailApi.as_view(), name="incident"),
    path("incidents/<int:pk>/notes/", incidents.IncidentNotesApi.as_view()),
    path(
        "integrations/",
        incidents.IntegrationListCreateApi.as_view(),
        name="integrations",
    ),
    path("integrations/<int:pk>/", incidents.IntegrationDetailApi.as_view()),
    path(
        "integrations/<int:pk>/deliveries/",
        incidents.IntegrationDeliveriesApi.as_view(),
        name="integration-deliveries",
    ),
    # Outgoing webhooks and connections to a team's tools (docs/integrations.md)
    path("webhooks/", integrations.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:pk>/", integrations.WebhookDetailView.as_view()),
    path(
        "webhooks/<int:pk>/deliveries/",
        integrations.WebhookDeliveryListView.as_view(),
        name="webhook_deliveries",
    ),
    path("webhooks/<int:pk>/test/", integrations.WebhookTestView.as_view()),
    path(
        "connections/",
        integrations.ConnectionListView.as_view(),
        name="connections",
    ),
    path("connections/<int:pk>/", integrations.ConnectionDetailView.as_view()),
    # The caller's own notifications
    path(
        "notifications/",
        reminders.NotificationListAPI.as_view(),
        name="notifications",
    ),
    path("notifications/<int:pk>/read/", reminders.NotificationReadAPI.as_view()),
    # Postmortems and their action items
    path(
        "postmortems/",
        postmortems.PostmortemListCreateApi.as_view(),
        name="postmortems",
    ),
    path(
        "postmortems/<int:pk>/",
        postmortems.PostmortemDetailApi.as_view(),
        name="postmortem",
    ),
    path(
        "postmortems/<int:pk>/transition/",
        postmortems.PostmortemTransitionApi.as_view(),
    ),
    path(
        "action-items/",
        postmortems.ActionItemListCreateApi.as_view(),
        name="action_items",
    ),
    path("action-items/<int:pk>/", postmortems.ActionItemDetailApi.as_view()),
    path(
        "action-items/<int:pk>/github-issue/",
        integrations.ActionItemIssueView.as_view(),
    ),
    path(
        "follow-up-policies/",
        api_policies.PolicyListCreateApi.as_view(),
        name="follow_up_policies",
    ),
    path(
        "follow-up-policies/violations/",
        api_policies.ViolationListApi.as_view(),
        name="follow_up_violations",
    ),
    # Export and import (docs/porting.md)
    path(f"{P}/export/", porting.ProductExportApi.as_view(), name="product_export"),
    path("export/", porting.InstanceExportApi.as_view(), name="export"),
    path("import/", porting.ImportApi.as_view(), name="import"),
    # Insights across failures
    path("insights/", insights.InsightsView.as_view(), name="insights"),
    # The global search (docs/search.md)
    path("search/", search.SearchView.as_view(), name="search"),
    # Leadership reports
    path(
        "reports/portfolio/",
        reports.PortfolioReportView.as_view(),
        name="portfolio_report",
    ),
    path(
        "reports/portfolio/exports/",
        reports.ExportStartView.as_view(),
        name="report_export_start",
    ),
    path(
        "reports/exports/<int:pk>/", reports.ExportView.as_view(), name="report_export"
    ),
    path(
        "reports/exports/<int:pk>/file",
        reports.ExportFileView.as_view(),
        name="report_export_file",
    ),
]
