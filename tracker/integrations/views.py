"""Pages of integrations: the overview, a webhook with its delivery log and
"send test", a connection with its last error. Thin: selectors read, services
write, tasks do every outside call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.accounts.selectors import user_can_manage_team
from tracker.audit.selectors import history_for
from tracker.integrations import selectors
from tracker.integrations.forms import (
    ConnectionEditForm,
    ConnectionForm,
    IssueForm,
    WebhookForm,
)
from tracker.integrations.models import ConnectionKind
from tracker.integrations.services import connections, github, webhooks
from tracker.integrations.tasks import github_issue_create, webhook_deliver
from tracker.lib.tasks import enqueue_on_commit
from tracker.lib.views import paginate, run_service
from tracker.postmortems.selectors.access import action_item_get_for_user
from tracker.products.selectors import products_readable_by, user_team_ids


@login_required
@require_safe
def integrations_home(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_for_webhooks(user=request.user)
    context = {
        "connections": paginate(
            request,
            selectors.connection_list(user=request.user),
            25,
            "connections_page",
        ),
        "webhooks": paginate(
            request, selectors.webhook_list(user=request.user), 25, "webhooks_page"
        ),
        "can_create": teams.exists(),
    }
    return render(request, "integrations/home.html", context)


def _products_to_subscribe(request: HttpRequest):
    """Products whose team `request.user` is in (owners subscribe over the API)."""
    products = products_readable_by(request.user)
    if request.user.is_superuser:
        return products
    return products.filter(team_id__in=user_team_ids(request.user))


@login_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_for_webhooks(user=request.user)
    products = _products_to_subscribe(request)
    if not teams.exists():
        raise PermissionDenied("Join a team to subscribe to its events.")
    form = WebhookForm(request.POST or None, teams=teams, products=products)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = run_service(
            form,
            lambda: webhooks.webhook_subscribe(
                actor=request.user,
                data=data,
                team=data["team"],
                product=data["product"],
            ),
        )
        if result is not None:
            subscription, secret = result
            return render(
                request,
                "integrations/webhook_created.html",
                {"subscription": subscription, "secret": secret},
                status=201,
            )
    status = 400 if form.errors else 200
    return render(
        request, "integrations/webhook_form.html", {"form": form}, status=status
    )


@login_required
@require_safe
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.webhook_get_for_user(user=request.user, pk=pk)
    context = {
        "subscription": subscription,
        "can_manage": selectors.user_can_manage_webhook(request.user, subscription),
        "deliveries": paginate(
            request, selectors.webhook_deliveries(subscription=subscription)
        ),
    }
    return render(request, "integrations/webhook_detail.html", context)


@login_required
@require_POST
def webhook_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a test message; its outcome shows in the log."""
    subscription = selectors.webhook_get_for_user(
        user=request.user, pk=pk, for_edit=True
    )
    delivery = webhooks.webhook_test(subscription=subscription)
    enqueue_on_commit(webhook_deliver, delivery.pk)
    messages.success(request, "Test message queued: its outcome shows below.")
    return redirect(subscription)


@login_required
def connection_create(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_for_webhooks(user=request.user)
    if not teams.exists():
        raise PermissionDenied("Join a team to connect its tools.")
    form = ConnectionForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        connection = run_service(
            form,
            lambda: connections.connection_create(actor=request.user, data=data),
        )
        if connection is not None:
            messages.success(request, f"{connection.name} connected.")
            return redirect(connection)
    status = 400 if form.errors else 200
    return render(
        request, "integrations/connection_form.html", {"form": form}, status=status
    )


@login_required
@require_safe
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connection = selectors.connection_get_for_user(user=request.user, pk=pk)
    context = {
        "connection": connection,
        "can_manage": user_can_manage_team(request.user, connection.team),
        "sla_queries": connection.sla_queries.select_related("sla__product"),
        **history_for(connection, product_slug=None),
    }
    return render(request, "integrations/connection_detail.html", context)


@login_required
def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a connection; its secrets are write-only (never shown again)."""
    connection = selectors.connection_get_for_user(
        user=request.user, pk=pk, for_edit=True
    )
    form = ConnectionEditForm(request.POST or None, connection=connection)
    if request.method == "POST" and form.is_valid():
        changed = run_service(
            form,
            lambda: connections.connection_update(
                connection=connection, data=form.changes()
            ),
        )
        if changed is not None:
            messages.success(request, f"{connection.name} saved.")
            return redirect(connection)
    context = {"form": form, "connection": connection}
    return render(
        request,
        "integrations/connection_form.html",
        context,
        status=400 if form.errors else 200,
    )


@login_required
def action_item_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """The action item's GitHub issue, or a form to open one (in a task)."""
    item = action_item_get_for_user(user=request.user, pk=pk, for_edit=True)
    product = item.postmortem.product if item.postmortem_id else item.session.product
    usable = selectors.connections_usable_for(
        product=product, kind=ConnectionKind.GITHUB
    )
    form = IssueForm(request.POST or None, connections=usable)
    if request.method == "POST" and form.is_valid():
        connection = form.cleaned_data["connection"]
        link = run_service(
            form,
            lambda: github.issue_request(
                item=item, connection=connection, actor=request.user
            ),
        )
        if link is not None:
            enqueue_on_commit(github_issue_create, link.pk)
            messages.success(request, "The issue is being opened on GitHub.")
            return redirect("integrations:issue_create", pk=item.pk)
    context = {
        "item": item,
        "product": product,
        "link": selectors.issue_link_of(action_item_id=item.pk),
        "form": form,
    }
    return render(
        request,
        "integrations/action_item_issue.html",
        context,
        status=400 if form.errors else 200,
    )
