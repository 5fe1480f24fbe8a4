"""API views for integrations: outgoing webhooks with their delivery log, and
connections (Prometheus, GitHub). Secrets are write-only; a generic webhook's
signing secret is in the creation's answer, once."""

from django.core.exceptions import PermissionDenied
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor, username_field
from tracker.accounts.models import Team
from tracker.accounts.selectors import team_visible_q, user_can_manage_team
from tracker.integrations import selectors
from tracker.integrations.models import (
    Connection,
    ConnectionKind,
    IssueLink,
    WebhookDelivery,
    WebhookKind,
    WebhookSubscription,
)
from tracker.integrations.services import connections, github, webhooks
from tracker.integrations.tasks import github_issue_create, webhook_deliver
from tracker.lib.api import (
    ApiView,
    HtmlUrlField,
    ReadableSlugField,
    StrictInputMixin,
    slug_of,
)
from tracker.lib.tasks import enqueue_on_commit
from tracker.postmortems.selectors.access import action_item_get_for_user
from tracker.products.models import Product
from tracker.products.selectors import product_readable_q, user_can_edit_product


def _team_field(**kwargs) -> ReadableSlugField:
    return ReadableSlugField(
        visible_to=team_visible_q, queryset=Team.objects.all(), **kwargs
    )


# --- Webhooks -------------------------------------------------------------------------


class WebhookOut(serializers.ModelSerializer):
    team = slug_of()
    product = slug_of()
    url_host = serializers.CharField(source="url_hint", read_only=True)
    created_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "kind",
            "team",
            "product",
            "url_host",
            "events",
            "active",
            "created_by",
            "created_at",
            "html_url",
        ]


class WebhookCreatedOut(WebhookOut):
    secret = serializers.CharField(
        help_text="Generic webhooks: the signing secret, shown once ('' for chat)."
    )

    class Meta(WebhookOut.Meta):
        fields = [*WebhookOut.Meta.fields, "secret"]


class WebhookIn(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=WebhookKind.choices)
    url = serializers.URLField(max_length=2000, write_only=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=webhooks.SUBSCRIBABLE),
        required=False,
        help_text="Default: every event.",
    )
    team = _team_field(required=False, allow_null=True)
    product = ReadableSlugField(
        visible_to=product_readable_q,
        queryset=Product.objects.select_related("team"),
        required=False,
        allow_null=True,
    )

    def validate(self, data: dict) -> dict:
        if bool(data.get("team")) == bool(data.get("product")):
            raise serializers.ValidationError(
                {"team": "Give a team or a product: exactly one."}
            )
        return data


class DeliveryOut(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "key",
            "status",
            "attempts",
            "response_code",
            "error",
            "created_at",
            "next_attempt_at",
            "sent_at",
            "payload",
        ]


def _check_subscribe(request: Request, data: dict) -> None:
    product, team = data.get("product"), data.get("team")
    allowed = (
        user_can_edit_product(request.user, product)
        if product
        else user_can_manage_team(request.user, team)
    )
    if not allowed:
        raise PermissionDenied("Only the team or the product's people subscribe.")


class WebhookListView(ApiView):
    """GET: the webhooks of the teams and products you read. POST: subscribe a
    URL to events of a team's products or of one product."""

    queryset = WebhookSubscription.objects.none()

    @extend_schema(responses=WebhookOut(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated(WebhookOut, selectors.webhook_list(user=request.user))

    @extend_schema(request=WebhookIn, responses={201: WebhookCreatedOut})
    @sensitive_variables("data", "secret")
    def post(self, request: Request) -> Response:
        data = self.validated(WebhookIn)
        _check_subscribe(request, data)
        subscription, secret = webhooks.webhook_subscribe(
            actor=request_actor(request),
            data=data,
            team=data.get("team"),
            product=data.get("product"),
        )
        subscription.secret = secret  # shown this once
        return self.output(WebhookCreatedOut, subscription, status=201)


class WebhookDetailView(ApiView):
    """GET: one webhook. DELETE: stop sending (the log stays)."""

    @extend_schema(responses=WebhookOut)
    def get(self, request: Request, pk: int) -> Response:
        subscription = selectors.webhook_get_for_user(user=request.user, pk=pk)
        return self.output(WebhookOut, subscription)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        subscription = selectors.webhook_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        webhooks.webhook_deactivate(subscription=subscription)
        return Response(status=204)


class WebhookDeliveryListView(ApiView):
    """GET: the webhook's deliveries, newest first: status, response code,
    attempts and the last error."""

    queryset = WebhookDelivery.objects.none()

    @extend_schema(responses=DeliveryOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        subscription = selectors.webhook_get_for_user(user=request.user, pk=pk)
        deliveries = selectors.webhook_deliveries(subscription=subscription)
        return self.paginated(DeliveryOut, deliveries)


class WebhookTestView(ApiView):
    """POST: send a test message now (202; its outcome shows in the log)."""

    @extend_schema(request=None, responses={202: DeliveryOut})
    def post(self, request: Request, pk: int) -> Response:
        subscription = selectors.webhook_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        delivery = webhooks.webhook_test(subscription=subscription)
        enqueue_on_commit(webhook_deliver, delivery.pk)
        return self.output(DeliveryOut, delivery, status=202)


# --- Connections ----------------------------------------------------------------------


class ConnectionOut(serializers.ModelSerializer):
    team = slug_of()
    has_token = serializers.SerializerMethodField()
    has_webhook_secret = serializers.SerializerMethodField()
    html_url = HtmlUrlField()

    class Meta:
        model = Connection
        fields = [
            "id",
            "name",
            "kind",
            "team",
            "base_url",
            "repository",
            "has_token",
            "has_webhook_secret",
            "last_ok_at",
            "last_error",
            "last_error_at",
            "created_at",
            "html_url",
        ]

    def get_has_token(self, connection: Connection) -> bool:
        return bool(connection.token)

    def get_has_webhook_secret(self, connection: Connection) -> bool:
        return bool(connection.webhook_secret)


class ConnectionIn(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=ConnectionKind.choices)
    team = _team_field()
    base_url = serializers.URLField(max_length=500)
    repository = serializers.CharField(max_length=200, required=False, default="")
    token = serializers.CharField(
        max_length=500, required=False, default="", write_only=True
    )
    webhook_secret = serializers.CharField(
        max_length=200, required=False, default="", write_only=True
    )


class ConnectionPatch(StrictInputMixin, serializers.Serializer):
    """A connection's team and kind stay; secrets are write-only ("" removes)."""

    name = serializers.CharField(max_length=120, required=False)
    base_url = serializers.URLField(max_length=500, required=False)
    repository = serializers.CharField(max_length=200, required=False, allow_blank=True)
    token = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True
    )
    webhook_secret = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )


class ConnectionListView(ApiView):
    """GET: the connections of the teams you see. POST: connect a team's
    Prometheus or GitHub repository (its members and staff)."""

    queryset = Connection.objects.none()

    @extend_schema(responses=ConnectionOut(many=True))
    def get(self, request: Request) -> Response:
        rows = selectors.connection_list(user=request.user)
        return self.paginated(ConnectionOut, rows)

    @extend_schema(request=ConnectionIn, responses={201: ConnectionOut})
    @sensitive_variables("data")
    def post(self, request: Request) -> Response:
        data = self.validated(ConnectionIn)
        if not user_can_manage_team(request.user, data["team"]):
            raise PermissionDenied("Only the team's members connect its tools.")
        connection = connections.connection_create(
            actor=request_actor(request), data=data
        )
        return self.output(ConnectionOut, connection, status=201)


class ConnectionDetailView(ApiView):
    @extend_schema(responses=ConnectionOut)
    def get(self, request: Request, pk: int) -> Response:
        connection = selectors.connection_get_for_user(user=request.user, pk=pk)
        return self.output(ConnectionOut, connection)

    @extend_schema(request=ConnectionPatch, responses=ConnectionOut)
    @sensitive_variables("data")
    def patch(self, request: Request, pk: int) -> Response:
        connection = selectors.connection_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        data = self.validated(ConnectionPatch, partial=True)
        connections.connection_update(connection=connection, data=data)
        return self.output(ConnectionOut, connection)


# --- GitHub issues for action items -----------------------------------------------


class IssueOut(serializers.ModelSerializer):
    integration = serializers.IntegerField(source="connection_id")
    repository = serializers.CharField(source="connection.repository")
    state = serializers.SerializerMethodField()

    class Meta:
        model = IssueLink
        fields = ["integration", "repository", "number", "html_url", "state", "error"]

    def get_state(self, link: IssueLink) -> str:
        """opened; pending (the task has not run yet); failed (see `error`)."""
        if link.number:
            return "opened"
        return "failed" if link.error else "pending"


class IssueIn(StrictInputMixin, serializers.Serializer):
    integration = serializers.IntegerField(
        help_text="A GitHub connection of the product's team (its id)."
    )


class ActionItemIssueView(ApiView):
    """GET: the action item's GitHub issue. POST: open one (202: a task calls
    GitHub; GET again for the number)."""

    @extend_schema(responses=IssueOut)
    def get(self, request: Request, pk: int) -> Response:
        item = action_item_get_for_user(user=request.user, pk=pk)
        link = selectors.issue_link_of(action_item_id=item.pk)
        if link is None:
            raise exceptions.NotFound("No GitHub issue for this action item.")
        return self.output(IssueOut, link)

    @extend_schema(request=IssueIn, responses={202: IssueOut})
    def post(self, request: Request, pk: int) -> Response:
        item = action_item_get_for_user(user=request.user, pk=pk, for_edit=True)
        data = self.validated(IssueIn)
        connection = (
            selectors.connection_list(user=request.user, kind=ConnectionKind.GITHUB)
            .filter(pk=data["integration"])
            .first()
        )
        if connection is None:
            raise serializers.ValidationError(
                {"integration": ["No such GitHub connection."]}
            )
        link = github.issue_request(
            item=item, connection=connection, actor=request_actor(request)
        )
        enqueue_on_commit(github_issue_create, link.pk)
        return self.output(IssueOut, link, status=202)
