"""REST API for incidents and alert integrations (mounted under /api/v1/).

Thin views: input serializers validate, services write, output serializers shape.
Status changes go through the same services as the pages, so they leave the same
timeline rows.
"""

from django.core.exceptions import PermissionDenied
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.incidents import selectors
from tracker.incidents.filters import DeliveryFilter, IncidentFilter
from tracker.incidents.models import (
    AlertDelivery,
    AlertIntegration,
    Incident,
    IntegrationKind,
    Kind,
    Severity,
    Source,
    Status,
    validate_http_url,
)
from tracker.incidents.services.incidents import (
    incident_note_add,
    incident_open,
    incident_update,
    integration_create,
    integration_revoke,
)
from tracker.lib.api import (
    ApiView,
    ModelSerializer,
    ReadableSlugField,
    StrictInputMixin,
)
from tracker.products.models import Product
from tracker.products.selectors import product_readable_q

# --- Serializers ------------------------------------------------------------------


def _seconds(value) -> float | None:
    return None if value is None else value.total_seconds()


class TimelineEntryOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    old_value = serializers.CharField()
    new_value = serializers.CharField()
    note = serializers.CharField()
    actor = serializers.CharField(source="actor.username", default=None)
    source = serializers.CharField()


class IncidentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    product = serializers.CharField(source="product.slug", default=None)
    team = serializers.CharField(source="product.team.slug", default=None)
    kind = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.CharField()
    source = serializers.CharField()
    integration = serializers.IntegerField(source="integration_id", allow_null=True)
    fingerprint = serializers.CharField()
    labels = serializers.DictField()
    recurrence_of = serializers.IntegerField(
        source="recurrence_of_id",
        allow_null=True,
        help_text="The earlier incident with a published postmortem this repeats.",
    )
    recurrence_rule = serializers.CharField(
        help_text="Which resemblance matched: fingerprint, alert_name or "
        "kind_and_factor (empty: not a recurrence)."
    )
    started_at = serializers.DateTimeField()
    detected_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    time_to_detect_seconds = serializers.SerializerMethodField()
    time_to_acknowledge_seconds = serializers.SerializerMethodField()
    time_to_resolve_seconds = serializers.SerializerMethodField()
    generator_url = serializers.CharField()
    dashboard_url = serializers.CharField()
    runbook_url = serializers.CharField()
    model_version = serializers.CharField(
        source="serving_version.version",
        default=None,
        help_text="The model version serving in production when it started.",
    )
    html_url = serializers.SerializerMethodField()

    def get_time_to_detect_seconds(self, incident: Incident) -> float | None:
        return _seconds(incident.time_to_detect)

    def get_time_to_acknowledge_seconds(self, incident: Incident) -> float | None:
        return _seconds(incident.time_to_acknowledge)

    def get_time_to_resolve_seconds(self, incident: Incident) -> float | None:
        return _seconds(incident.time_to_resolve)

    def get_html_url(self, incident: Incident) -> str:
        return self.context["request"].build_absolute_uri(incident.get_absolute_url())


class IncidentDetailOutput(IncidentOutput):
    timeline = TimelineEntryOutput(many=True, source="timeline_entries")


class LinkField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            max_length=2000,
            required=False,
            allow_blank=True,
            validators=[validate_http_url],
            **kwargs,
        )


def _product_field(**kwargs) -> serializers.SlugRelatedField:
    """A product the requester may read (a private team's: "does not exist")."""
    return ReadableSlugField(
        visible_to=product_readable_q,
        queryset=Product.objects.select_related("team"),
        required=False,
        **kwargs,
    )


class IncidentCreateInput(StrictInputMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    product = _product_field(allow_null=True)
    kind = serializers.ChoiceField(Kind.choices, default=Kind.OTHER)
    severity = serializers.ChoiceField(Severity.choices, default=Severity.SEV3)
    description = serializers.CharField(required=False, allow_blank=True)
    fingerprint = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    labels = serializers.DictField(child=serializers.CharField(), required=False)
    started_at = serializers.DateTimeField(required=False)
    generator_url = LinkField()
    dashboard_url = LinkField()
    runbook_url = LinkField()


class IncidentUpdateInput(StrictInputMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    product = _product_field()
    kind = serializers.ChoiceField(Kind.choices, required=False)
    severity = serializers.ChoiceField(Severity.choices, required=False)
    status = serializers.ChoiceField(Status.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class NoteInput(StrictInputMixin, serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class IntegrationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    product = serializers.CharField(source="product.slug", default=None)
    url = serializers.SerializerMethodField()
    has_hmac_secret = serializers.SerializerMethodField()
    secret_hint = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", default=None)
    created_at = serializers.DateTimeField()
    last_delivery_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, integration: AlertIntegration) -> str:
        return self.context["request"].build_absolute_uri(integration.receiver_path)

    def get_has_hmac_secret(self, integration: AlertIntegration) -> bool:
        return bool(integration.hmac_secret)


class IntegrationCreatedOutput(IntegrationOutput):
    secret = serializers.CharField(help_text="Shown once; only its hash is kept.")


# A pattern, not an enum: the schema's enums are named after fields, and this
# one would collide with the incidents' `kind`.
@extend_schema_field(
    {"type": "string", "pattern": f"^({'|'.join(IntegrationKind.values)})$"}
)
class IntegrationKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(IntegrationKind.choices, **kwargs)


class IntegrationCreateInput(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = IntegrationKindField()
    product = _product_field(allow_null=True)
    hmac_secret = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )


# --- Helpers ----------------------------------------------------------------------


def _require_assign(request: Request, product: Product | None) -> None:
    if product is None:
        if not selectors.user_can_triage(request.user):
            raise PermissionDenied("Join a team to report incidents.")
    elif not selectors.user_can_assign(request.user, product):
        raise PermissionDenied("Only the product's team and owners can do this.")


def _incident_answer(view: ApiView, incident: Incident, status: int = 200) -> Response:
    incident.timeline_entries = selectors.incident_timeline(incident=incident)
    selectors.incidents_with_versions([incident])
    return view.output(IncidentDetailOutput, incident, status=status)


# --- Incidents --------------------------------------------------------------------


class IncidentListCreateApi(ApiView):
    """GET: incidents, open first; filters product, team, status, severity, kind,
    period, q. POST: open an incident (source `api`)."""

    queryset = Incident.objects.none()
    filterset_class = IncidentFilter

    @extend_schema(responses=IncidentOutput(many=True))
    def get(self, request: Request) -> Response:
        incidents = self.filter_queryset(selectors.incident_list(user=request.user))
        return self.paginated(
            IncidentOutput, incidents, prepare=selectors.incidents_with_versions
        )

    @extend_schema(request=IncidentCreateInput, responses={201: IncidentDetailOutput})
    def post(self, request: Request) -> Response:
        data = self.validated(IncidentCreateInput)
        _require_assign(request, data.get("product"))
        incident = incident_open(actor=request.user, data=data, source=Source.API)
        return _incident_answer(self, incident, status=201)


class IncidentDetailApi(ApiView):
    """GET: one incident with its timeline. PATCH: change title, product, kind,
    severity or status (open → acknowledged → resolved)."""

    @extend_schema(responses=IncidentDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get_for_user(user=request.user, pk=pk)
        return _incident_answer(self, incident)

    @extend_schema(request=IncidentUpdateInput, responses=IncidentDetailOutput)
    def patch(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        data = self.validated(IncidentUpdateInput)
        if "product" in data:
            _require_assign(request, data["product"])
        note = data.pop("note", "")
        incident_update(
            incident=incident,
            actor=request.user,
            data=data,
            source=Source.API,
            note=note,
        )
        return _incident_answer(self, incident)


class IncidentNotesApi(ApiView):
    """POST: add a note to the incident's timeline."""

    @extend_schema(request=NoteInput, responses={201: TimelineEntryOutput})
    def post(self, request: Request, pk: int) -> Response:
        incident = selectors.incident_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        entry = incident_note_add(
            incident=incident,
            actor=request.user,
            text=self.validated(NoteInput)["text"],
            source=Source.API,
        )
        return self.output(TimelineEntryOutput, entry, status=201)


# --- Integrations -----------------------------------------------------------------


class IntegrationListCreateApi(ApiView):
    """GET: active integrations. POST: create one; the response carries its
    `secret`, which is shown this once."""

    queryset = AlertIntegration.objects.none()

    @extend_schema(responses=IntegrationOutput(many=True))
    def get(self, request: Request) -> Response:
        integrations = selectors.integration_list(user=request.user)
        return self.paginated(IntegrationOutput, integrations)

    @extend_schema(
        request=IntegrationCreateInput, responses={201: IntegrationCreatedOutput}
    )
    @sensitive_variables("data", "secret")
    def post(self, request: Request) -> Response:
        data = self.validated(IntegrationCreateInput)
        _require_assign(request, data.get("product"))
        integration, secret = integration_create(actor=request.user, data=data)
        integration.secret = secret  # shown this once
        return self.output(IntegrationCreatedOutput, integration, status=201)


class IntegrationDetailApi(ApiView):
    """GET: one integration. DELETE: revoke it (its secret stops working)."""

    @extend_schema(responses=IntegrationOutput)
    def get(self, request: Request, pk: int) -> Response:
        integration = selectors.integration_get_for_user(user=request.user, pk=pk)
        return self.output(IntegrationOutput, integration)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        integration = selectors.integration_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        integration_revoke(integration=integration, actor=request.user)
        return Response(status=204)


class DeliveryOutput(ModelSerializer):
    class Meta:
        model = AlertDelivery
        fields = [
            "id",
            "received_at",
            "state",
            "http_status",
            "reason",
            "status",
            "alerts",
            "truncated_alerts",
            "opened",
            "updated",
            "resolved",
            "unchanged",
            "rejected",
            "rejections",
            "processed_at",
        ]


class IntegrationDeliveriesApi(ApiView):
    """GET: the integration's deliveries, newest first: accepted ones with what
    their alerts did (each rejected alert with its reason), and refused ones
    with the reason and the status the sender got. Filter: `state`."""

    queryset = AlertDelivery.objects.none()
    filterset_class = DeliveryFilter

    @extend_schema(responses=DeliveryOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        integration = selectors.integration_get_for_user(user=request.user, pk=pk)
        deliveries = selectors.delivery_list(integration=integration)
        return self.paginated(DeliveryOutput, self.filter_queryset(deliveries))
