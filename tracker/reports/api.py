"""API view for the portfolio report: the figures of the report page and its CSV
export, typed (numbers as numbers, null where there is nothing to measure).

Shares are ratios from 0 to 1 (0.25 is 25%), durations are whole seconds. Readable
by any signed-in person, like the page; CI tokens may not read it.
"""

from urllib.parse import urlencode

from django.http import HttpResponse, QueryDict
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.incidents.models import Kind
from tracker.lib.api import ApiView, ErrorSerializer, HtmlUrlField, SecondsField
from tracker.lib.periods import period_get
from tracker.products.models import RiskTier, Stage
from tracker.reports import jobs, tasks
from tracker.reports.forms import PortfolioFilterForm
from tracker.reports.models import ReportExport
from tracker.reports.render import file_response
from tracker.reports.selectors.overview import (
    ATTENTION_SHOWN,
    TEAMS_PER_PAGE,
    Overview,
    page_rows,
    portfolio_overview,
    table_order,
)
from tracker.reports.selectors.portfolio import one_snapshot
from tracker.reports.selectors.products import portfolio_products
from tracker.reports.selectors.rows import STANDING_FIGURES, STATUS_LABELS
from tracker.reports.selectors.summary import SORT_CHOICES


def _counts(name: str, keys: list[str], doc: str) -> type[serializers.Serializer]:
    """A serializer with one count per key of a fixed set (stages, kinds, …)."""
    fields = {key: serializers.IntegerField() for key in keys}
    return type(name, (serializers.Serializer,), {"__doc__": doc, **fields})


StageCountsOut = _counts("StageCountsOut", Stage.values, "Products per stage.")
KpiStatusCountsOut = _counts(
    "KpiStatusCountsOut", list(STATUS_LABELS), "Business KPIs per status."
)
KindCountsOut = _counts("IncidentKindCountsOut", Kind.values, "Incidents per kind.")


class ReportPeriodOut(serializers.Serializer):
    key = serializers.CharField(help_text="12m, or a quarter such as 2026-Q3.")
    label = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive.")


class PostmortemCompletionOut(serializers.Serializer):
    sev12_incidents = serializers.IntegerField(source="total")
    with_published_postmortem = serializers.IntegerField(source="covered")
    completion = serializers.FloatField(source="ratio", allow_null=True)


class PortfolioMonthOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    incidents = KindCountsOut(help_text="Incidents that started in the month.")
    median_time_to_resolve_seconds = SecondsField(source="median_ttr")
    action_items_on_time = serializers.FloatField(
        source="closure",
        allow_null=True,
        help_text="Of the action items due in the month (not dropped), the share "
        "done by their due date; null when none was due.",
    )


class TeamValueOut(serializers.Serializer):
    team = serializers.CharField(help_text="The team's name.")
    cost = serializers.DecimalField(16, 2)
    value = serializers.DecimalField(16, 2)
    net = serializers.DecimalField(16, 2)
    products = serializers.IntegerField()
    paid_back = serializers.IntegerField(help_text="Products past their payback.")


class PortfolioTotalsOut(serializers.Serializer):
    products = serializers.IntegerField(source="product_count")
    products_by_stage = StageCountsOut(source="stage_counts")
    kpi_status = KpiStatusCountsOut(source="kpi_statuses")
    postmortem_completion = PostmortemCompletionOut(
        help_text="SEV1–2 incidents in the period and how many a published "
        "postmortem covers."
    )
    months = PortfolioMonthOut(many=True)
    currency = serializers.CharField(help_text="Of every cost and value.")
    value_by_team = TeamValueOut(
        many=True,
        help_text=f"Up to {TEAMS_PER_PAGE} teams by name; `values_page` pages on.",
    )
    value_by_team_count = serializers.IntegerField(help_text="Teams, all pages.")
    value_by_team_next = serializers.URLField(
        allow_null=True, help_text="The next page of teams."
    )
    value_by_team_previous = serializers.URLField(
        allow_null=True, help_text="The previous page of teams."
    )


class PortfolioKpiOut(serializers.Serializer):
    name = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    baseline = serializers.FloatField(allow_null=True)
    latest = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    progress = serializers.FloatField(
        allow_null=True, help_text="Share of the way from baseline to target."
    )
    status = serializers.ChoiceField(choices=list(STATUS_LABELS))
    after_launch_change = serializers.FloatField(
        allow_null=True,
        help_text="Mean after launch against the baseline (0.1 = +10%).",
    )


class PortfolioSlaOut(serializers.Serializer):
    name = serializers.CharField()
    checks = serializers.IntegerField(help_text="Checks in the SLA's window.")
    passed = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True)
    meets_objective = serializers.BooleanField(allow_null=True)
    error_budget_remaining = serializers.FloatField(allow_null=True)

    def to_representation(self, instance) -> dict:
        name, c = instance  # ProductRow.slas holds (name, Compliance) pairs
        return {
            "name": name,
            "checks": c.total,
            "passed": c.passed,
            "compliance": c.ratio,
            "meets_objective": c.meets_objective,
            "error_budget_remaining": c.budget_remaining,
        }


def _figure(field: type[serializers.Field], name: str, **kwargs) -> serializers.Field:
    # A product's standing keeps these: null until it is first computed.
    kwargs.setdefault("allow_null", name in STANDING_FIGURES)
    return field(source=f"figures.{name}", **kwargs)


def _count(name: str) -> serializers.Field:
    return _figure(serializers.IntegerField, name)


def _share(name: str, help_text: str = "") -> serializers.Field:
    return _figure(serializers.FloatField, name, allow_null=True, help_text=help_text)


class PortfolioProductOut(serializers.Serializer):
    """One product: the CSV export's figures, typed, with KPIs and SLAs as lists."""

    name = serializers.CharField(source="product.name")
    slug = serializers.CharField(source="product.slug")
    team = serializers.CharField(source="product.team.slug")
    team_name = serializers.CharField(source="product.team.name")
    stage = serializers.ChoiceField(choices=Stage.choices, source="product.stage")
    risk_tier = serializers.ChoiceField(
        choices=RiskTier.choices, source="product.risk_tier"
    )
    owners_complete = _figure(serializers.BooleanField, "owners_complete")
    readiness_passed = _count("readiness_passed")
    readiness_applicable = _count("readiness_applicable")
    ml_test_score = _figure(serializers.FloatField, "ml_test_score")
    business_kpis = _count("business_kpis")
    kpis_on_track = _count("kpis_on_track")
    kpis_at_risk = _count("kpis_at_risk")
    kpis_off_track = _count("kpis_off_track")
    kpi_min_progress = _share("kpi_min_progress", "The least progress of its KPIs.")
    kpi_after_launch_change = _share(
        "kpi_after_launch_change", "Mean of the KPIs' after-launch changes."
    )
    kpis = PortfolioKpiOut(many=True)
    sla_count = _count("sla_count")
    sla_min_compliance = _share("sla_min_compliance", "The worst measured SLA.")
    sla_min_error_budget = _share("sla_min_error_budget")
    slas = PortfolioSlaOut(many=True)
    overdue_kpi_followups = _count("overdue_kpi_followups")
    incidents = _count("incidents")
    incidents_sev1 = _count("incidents_sev1")
    incidents_sev2 = _count("incidents_sev2")
    incidents_sev3 = _count("incidents_sev3")
    incidents_sev4 = _count("incidents_sev4")
    median_time_to_detect_seconds = _figure(SecondsField, "median_time_to_detect")
    median_time_to_resolve_seconds = _figure(SecondsField, "median_time_to_resolve")
    sev12_incidents = _count("sev12_incidents")
    sev12_with_published_postmortem = _count("sev12_with_published_postmortem")
    postmortem_completion = _share("postmortem_completion")
    open_action_items = _count("open_action_items")
    overdue_action_items = _count("overdue_action_items")
    postmortems_stuck_in_draft = _count("postmortems_stuck_in_draft")
    recurrences = _count("recurrences")
    follow_up_violations = _count("follow_up_violations")
    latest_ci_state = _figure(serializers.CharField, "latest_ci_state", allow_null=True)
    latest_ci_sha = _figure(serializers.CharField, "latest_ci_sha", allow_null=True)
    worst_segment = _figure(
        serializers.CharField,
        "worst_segment",
        allow_null=True,
        help_text="Of the metrics with a worst-case floor, the segment doing worst "
        "against it (a failing one first).",
    )
    worst_segment_metric = _figure(
        serializers.CharField, "worst_segment_metric", allow_null=True
    )
    worst_segment_value = _figure(
        serializers.FloatField, "worst_segment_value", allow_null=True
    )
    worst_case_floor = _figure(
        serializers.FloatField, "worst_case_floor", allow_null=True
    )
    worst_segment_meets_floor = _figure(
        serializers.BooleanField, "worst_segment_meets_floor", allow_null=True
    )
    production_version = _figure(
        serializers.CharField,
        "production_version",
        allow_null=True,
        help_text="The model version serving in production (its latest deployment).",
    )
    production_shipped_at = _figure(
        serializers.DateTimeField,
        "production_shipped_at",
        allow_null=True,
        help_text="When that version was deployed to production.",
    )
    cost_to_date = _figure(
        serializers.DecimalField,
        "cost_to_date",
        max_digits=16,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="In the instance's currency (totals.currency).",
    )
    value_to_date = _figure(
        serializers.DecimalField,
        "value_to_date",
        max_digits=16,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="The measured post-launch change of valued KPIs (docs/value.md).",
    )
    payback_date = _figure(
        serializers.DateField,
        "payback_date",
        allow_null=True,
        help_text="The first day cumulative value reached cumulative cost.",
    )
    attention = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why the product needs attention, most urgent first; empty when "
        "it does not.",
    )
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When the product's figures were computed (its standing, "
        "refreshed every five minutes); null: not yet, and so are the figures "
        "but those of the period (incidents, their times, postmortems and "
        "recurrences), which are counted at each request.",
    )
    html_url = HtmlUrlField()


@extend_schema_field(OpenApiTypes.URI)
class _ReportUrlField(serializers.Field):
    """The report page with the same filters (from the serializer's context)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        url, query = reverse("reports:portfolio"), self.context["query"]
        url = f"{url}?{query}" if query else url
        return self.context["request"].build_absolute_uri(url)


class AttentionOut(serializers.Serializer):
    """A product on the attention list, as the report page ranks it."""

    rank = serializers.IntegerField(help_text="1 is the most urgent.")
    product = serializers.CharField(source="product.slug", help_text="Its slug.")
    reasons = serializers.ListField(child=serializers.CharField())


class TeamSummaryOut(serializers.Serializer):
    """One team's products in the report, counted (the page's team summary)."""

    team = serializers.CharField(source="slug", help_text="Its slug.")
    team_name = serializers.CharField(source="name")
    products = serializers.IntegerField()
    products_by_stage = serializers.DictField(
        source="by_stage",
        child=serializers.IntegerField(),
        help_text="Stages it has products in, by stored value.",
    )
    kpis_on_track = serializers.IntegerField()
    kpis_at_risk = serializers.IntegerField()
    kpis_off_track = serializers.IntegerField()
    sla_breaches = serializers.IntegerField(
        help_text="Measured SLAs below their objective."
    )
    error_budgets_exhausted = serializers.IntegerField(source="budgets_exhausted")
    open_sev12_incidents = serializers.IntegerField(source="open_sev12")
    overdue_kpi_followups = serializers.IntegerField(source="overdue_followups")
    overdue_action_items = serializers.IntegerField()
    follow_up_violations = serializers.IntegerField(source="policy_violations")
    needing_attention = serializers.IntegerField(
        help_text="Its products on the attention list."
    )


class PortfolioOut(serializers.Serializer):
    period = ReportPeriodOut()
    generated_at = serializers.DateTimeField()
    as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When the oldest of the standings behind the totals, teams and "
        "attention was computed (null: not yet computed); the products' figures "
        "are computed for each request.",
    )
    period_as_of = serializers.DateTimeField(
        help_text="When the period's figures (incidents and time to resolve per "
        "month, postmortem completion, recurrences, action items closed on time) "
        "were computed: they are kept, and computed again when a request finds "
        "them older than five minutes."
    )
    not_computed = serializers.IntegerField(
        help_text="Products whose standing is not computed yet: in `count` and "
        "`products`, not yet in the totals' figures, teams and attention."
    )
    attention = AttentionOut(
        many=True,
        help_text="The most urgent products needing attention (up to 20), most "
        "urgent first: rules by stage and risk tier (docs/reports.md); "
        "`sort=attention` pages through all of them.",
    )
    attention_count = serializers.IntegerField(
        help_text="How many products need attention."
    )
    hidden_products = serializers.IntegerField(
        help_text="Products the filters match that you may not read (private "
        "teams): counted, never listed."
    )
    totals = PortfolioTotalsOut(source="*")
    teams = TeamSummaryOut(
        many=True,
        help_text=f"A summary per team, the most urgent first: up to {TEAMS_PER_PAGE}; "
        "`teams_page` pages on.",
    )
    teams_count = serializers.IntegerField(help_text="Teams, all pages.")
    teams_next = serializers.URLField(
        allow_null=True, help_text="The next page of teams."
    )
    teams_previous = serializers.URLField(
        allow_null=True, help_text="The previous page of teams."
    )
    count = serializers.IntegerField(help_text="Products in the report, all pages.")
    next = serializers.URLField(allow_null=True, help_text="The next page.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page.")
    products = PortfolioProductOut(
        many=True, help_text="One page of the products, in the order `sort` asks."
    )
    html_url = _ReportUrlField()


_FILTERS = [
    OpenApiParameter("team", str, description="A team's slug."),
    OpenApiParameter("stage", str, enum=Stage.values),
    OpenApiParameter("risk_tier", str, enum=RiskTier.values),
    OpenApiParameter(
        "period",
        str,
        description="12m (the last 12 months, the default) or one of the last five "
        "quarters, e.g. 2026-Q3.",
    ),
]
_PAGES = [
    OpenApiParameter(
        "sort",
        str,
        enum=[key for key, _ in SORT_CHOICES],
        description="The products' order: team (the default, then name), name, "
        "attention, stage, risk, kpis, slas, readiness, incidents, followups; "
        "each the worst first, '-' before it to reverse.",
    ),
    OpenApiParameter("page", int, description="1 (the default), 2, …"),
    OpenApiParameter(
        "page_size", int, description="Products per page: 50 by default, up to 200."
    ),
    OpenApiParameter(
        "teams_page", int, description="The team summaries' page: 1 (the default), 2, …"
    ),
    OpenApiParameter(
        "values_page",
        int,
        description="The value by team's page: 1 (the default), 2, …",
    ),
]


def _query(filters: dict) -> str:
    """The filters as the report page's query string."""
    values = {
        "team": filters["team"].slug if filters.get("team") else "",
        **{key: filters.get(key) for key in ("stage", "risk_tier", "period", "sort")},
    }
    return urlencode({key: value for key, value in values.items() if value})


def _valid(form: PortfolioFilterForm) -> dict:
    """The form's filters, or a 400 with field messages."""
    if not form.is_valid():
        raise exceptions.ValidationError(
            {name: list(errors) for name, errors in form.errors.items()}
        )
    return form.cleaned_data


class _PortfolioPage:
    """The overview with one page of its products: what PortfolioOut reads
    (the overview's own figures through it)."""

    def __init__(self, overview: Overview, **page) -> None:
        self.overview = overview
        self.__dict__.update(page)

    def __getattr__(self, name: str):
        return getattr(self.overview, name)


def _team_pages(request: Request, **lists: tuple[str, list]) -> dict:
    """One page of each per-team list (`name`: its page parameter and rows):
    `name`, `name`_count, `name`_next and `name`_previous, paged by DRF's
    page-number pagination (a page number that is not one of the pages is a
    404, as the products' is)."""
    found = {}
    for name, (param, rows) in lists.items():
        pager = pagination.PageNumberPagination()
        pager.page_size, pager.page_query_param = TEAMS_PER_PAGE, param
        found |= {
            name: pager.paginate_queryset(rows, request),
            f"{name}_count": pager.page.paginator.count,
            f"{name}_next": pager.get_next_link(),
            f"{name}_previous": pager.get_previous_link(),
        }
    return found


class PortfolioReportView(ApiView):
    @extend_schema(
        parameters=[*_FILTERS, *_PAGES],
        responses={200: PortfolioOut, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        """The portfolio report: totals, a summary per team (a page of teams),
        the most urgent products and one page of the products (each with its
        figures). The totals, team summaries and attention list add up each
        product's stored standing (`as_of` says how old); the page's products
        are the rows their standings keep (each product's `as_of`), with the
        period's incident figures counted now."""
        form = PortfolioFilterForm(request.query_params, user=request.user)
        filters = _valid(form)
        period = period_get(filters["period"])
        ordered = table_order(
            portfolio_products(filters=filters, user=request.user),
            filters.get("sort"),
            period,
        )
        with one_snapshot():  # the summaries and the products of one instant
            overview = portfolio_overview(
                filters=filters,
                period=period,
                user=request.user,
                attention_shown=ATTENTION_SHOWN,
            )
            ids = self.paginator.paginate_queryset(
                ordered.values_list("pk", flat=True), request, view=self
            )
            products = page_rows(list(ids), period=period)
        out = _PortfolioPage(
            overview,
            count=self.paginator.page.paginator.count,
            next=self.paginator.get_next_link(),
            previous=self.paginator.get_previous_link(),
            products=products,
            **_team_pages(
                request,
                teams=("teams_page", overview.teams),
                value_by_team=("values_page", overview.value_by_team()),
            ),
        )
        return self.output(PortfolioOut, out, query=_query(filters))


# --- Export jobs ---------------------------------------------------------------------


class ExportIn(serializers.Serializer):
    format = serializers.ChoiceField(choices=ReportExport.Format.choices)
    team = serializers.CharField(required=False, allow_blank=True)
    stage = serializers.CharField(required=False, allow_blank=True)
    risk_tier = serializers.CharField(required=False, allow_blank=True)
    period = serializers.CharField(required=False, allow_blank=True)


class ExportOut(serializers.ModelSerializer):
    filters = serializers.CharField(source="filters_text")
    products = serializers.IntegerField(source="product_count")
    status = serializers.ChoiceField(choices=ReportExport.Status.choices)
    progress = serializers.IntegerField(help_text="0 to 100.")
    error = serializers.CharField(help_text="Why it failed; empty otherwise.")
    file_url = serializers.SerializerMethodField(
        help_text="The file, once the status is done; null before."
    )
    html_url = HtmlUrlField(help_text="The export's page (its progress).")

    class Meta:
        model = ReportExport
        fields = [
            "id",
            "format",
            "filters",
            "products",
            "status",
            "progress",
            "error",
            "created_at",
            "finished_at",
            "file_url",
            "html_url",
        ]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_file_url(self, export: ReportExport) -> str | None:
        if export.status != ReportExport.Status.DONE:
            return None
        url = reverse("api:report_export_file", args=[export.pk])
        return self.context["request"].build_absolute_uri(url)


class ExportStartView(ApiView):
    @extend_schema(request=ExportIn, responses={202: ExportOut, 400: ErrorSerializer})
    def post(self, request: Request) -> Response:
        """Start an export of the portfolio report (CSV or PDF) for the filters
        given; a worker makes the file. Poll the export until its status is
        done (or failed), then GET its file_url."""
        data = self.validated(ExportIn)
        query = jobs.export_query(data)
        _valid(PortfolioFilterForm(QueryDict(query), user=request.user))
        export = tasks.export_start(
            user=request.user,
            fmt=data["format"],
            query=query,
            base_url=request.build_absolute_uri("/"),
        )
        return self.output(ExportOut, export, status=202)


class ExportView(ApiView):
    @extend_schema(responses={200: ExportOut, 404: ErrorSerializer})
    def get(self, request: Request, pk: int) -> Response:
        """An export's status and, once done, where its file is. Only the
        person who asked for it (and staff) may read it."""
        export = jobs.export_get_for_user(user=request.user, pk=pk)
        return self.output(ExportOut, export)


class ExportFileView(ApiView):
    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: ErrorSerializer,
        }
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        """The export's file, as the immediate export returns it (404 until it
        is done)."""
        export = jobs.export_file(user=request.user, pk=pk)
        return file_response(bytes(export.content), export)
