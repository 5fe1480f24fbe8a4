"""Reads for integrations, scoped like everything else (docs/access.md): a
connection or a team's webhook follows its team (read by those who see the
team, changed by its members and staff); a product's webhook follows the
product. Outsiders to a private team get 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from tracker.accounts.models import CIPrincipal, Team, User
from tracker.accounts.selectors import teams_visible_to, user_can_manage_team
from tracker.integrations.models import (
    Connection,
    ConnectionKind,
    IssueLink,
    SLAEvaluation,
    SLAQuery,
    WebhookDelivery,
    WebhookSubscription,
)
from tracker.products.models import Product, ServiceLevel
from tracker.products.selectors import products_readable_by, user_can_edit_product

Reader = User | CIPrincipal


def _people_only(user: Reader) -> bool:
    return user.is_authenticated and not isinstance(user, CIPrincipal)


# --- Connections ---------------------------------------------------------------------


def connection_list(*, user: Reader, kind: str | None = None) -> QuerySet[Connection]:
    if not _people_only(user):
        return Connection.objects.none()
    rows = Connection.objects.filter(team__in=teams_visible_to(user))
    if kind:
        rows = rows.filter(kind=kind)
    return rows.select_related("team", "created_by")


def connection_get_for_user(
    *, user: Reader, pk: int, for_edit: bool = False
) -> Connection:
    """404 when unseen; 403 for changes by someone outside the team."""
    connection = connection_list(user=user).filter(pk=pk).first()
    if connection is None:
        raise Http404("No such connection.")
    if for_edit and not user_can_manage_team(user, connection.team):
        raise PermissionDenied("Only the team's members can change its connections.")
    return connection


def connection_for_hook(*, pk: int) -> Connection | None:
    """A GitHub connection for its webhook (the signature is the check)."""
    return Connection.objects.filter(pk=pk, kind=ConnectionKind.GITHUB).first()


def connections_usable_for(*, product: Product, kind: str) -> QuerySet[Connection]:
    """The connections a product's SLA or action item may use: its team's."""
    return Connection.objects.filter(team_id=product.team_id, kind=kind)


# --- SLA queries ----------------------------------------------------------------------


def sla_query_of(*, sla: ServiceLevel) -> SLAQuery | None:
    return SLAQuery.objects.filter(sla=sla).select_related("connection").first()


def sla_evaluations(*, sla_query: SLAQuery, limit: int = 20) -> list[SLAEvaluation]:
    return list(sla_query.evaluations.order_by("-at", "-pk")[:limit])


# --- Webhooks -------------------------------------------------------------------------


def webhook_list(*, user: Reader) -> QuerySet[WebhookSubscription]:
    """Subscriptions of the teams and products `user` reads."""
    if not _people_only(user):
        return WebhookSubscription.objects.none()
    seen = Q(team__in=teams_visible_to(user)) | Q(
        product__in=products_readable_by(user)
    )
    return WebhookSubscription.objects.filter(seen).select_related(
        "team", "product", "created_by"
    )


def user_can_manage_webhook(user: Reader, subscription: WebhookSubscription) -> bool:
    if subscription.product_id:
        return user_can_edit_product(user, subscription.product)
    return user_can_manage_team(user, subscription.team)


def webhook_get_for_user(
    *, user: Reader, pk: int, for_edit: bool = False
) -> WebhookSubscription:
    subscription = webhook_list(user=user).filter(pk=pk).first()
    if subscription is None:
        raise Http404("No such webhook.")
    if for_edit and not user_can_manage_webhook(user, subscription):
        raise PermissionDenied("Only the team or the product's people change it.")
    return subscription


def webhook_deliveries(
    *, subscription: WebhookSubscription
) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first."""
    return subscription.deliveries.order_by("-created_at", "-pk")


def teams_for_webhooks(*, user: User) -> QuerySet[Team]:
    """Teams `user` may subscribe for: those they manage."""
    teams = teams_visible_to(user)
    if user.is_staff or user.is_superuser:
        return teams
    return teams.filter(membership__user=user)


# --- GitHub issues --------------------------------------------------------------------


def issue_link_of(*, action_item_id: int) -> IssueLink | None:
    return IssueLink.objects.filter(action_item_id=action_item_id).first()
