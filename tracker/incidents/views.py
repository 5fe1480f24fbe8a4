"""HTML views for incidents and alert integrations. Thin: parse input, call a
selector or service, render. The alert webhook itself is in receiver.py."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.incidents import selectors
from tracker.incidents.filters import IncidentFilter
from tracker.incidents.forms import (
    IncidentChangeForm,
    IncidentForm,
    IntegrationForm,
    NoteForm,
    ResolveForm,
)
from tracker.incidents.models import Incident, Severity, Source
from tracker.incidents.services.incidents import (
    incident_acknowledge as incident_acknowledge_service,
)
from tracker.incidents.services.incidents import (
    incident_note_add,
    incident_open,
    incident_update,
)
from tracker.incidents.services.incidents import (
    incident_resolve as incident_resolve_service,
)
from tracker.incidents.services.incidents import (
    integration_create as integration_create_service,
)
from tracker.incidents.services.incidents import (
    integration_revoke as integration_revoke_service,
)
from tracker.lib.views import paginate, run_service
from tracker.products.selectors import products_readable_by


def _list_page(
    request: HttpRequest, queryset, template: str, *, for_page=None, **context
):
    incident_filter = IncidentFilter(request.GET, queryset=queryset, request=request)
    page = paginate(request, incident_filter.qs)
    if for_page:
        context.update(for_page(page))
    if request.htmx:
        template = "incidents/_incident_rows.html"
    return render(
        request, template, {"filter": incident_filter, "page": page, **context}
    )


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        selectors.incident_list(user=request.user),
        "incidents/incident_list.html",
        inbox_count=selectors.incident_inbox_count(),
        can_report=selectors.products_assignable(request.user).exists(),
    )


@login_required
def incident_inbox(request: HttpRequest) -> HttpResponse:
    return _list_page(
        request,
        selectors.incident_inbox(user=request.user),
        "incidents/incident_inbox.html",
        inbox=True,
        inbox_count=selectors.incident_inbox_count(),
        # The inline triage form picks a product this person may assign to,
        # starting from the one an alert's `product` label names.
        can_triage=selectors.products_assignable(request.user).exists(),
        for_page=lambda page: {
            "suggested": selectors.products_assignable_by_slug(
                request.user,
                [incident.labels.get("product") for incident in page],
            )
        },
        severities=Severity.choices,
    )


@login_required
def incident_create(request: HttpRequest) -> HttpResponse:
    products = selectors.products_assignable(request.user)
    if not products.exists():
        raise PermissionDenied("Join a product's team to report its incidents.")
    initial = {"product": products.filter(slug=request.GET.get("product")).first()}
    form = IncidentForm(request.POST or None, products=products, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = run_service(
            form,
            lambda: incident_open(actor=request.user, data=data, source=Source.UI),
        )
        if incident:
            messages.success(request, f"Opened incident #{incident.pk}.")
            return redirect(incident)
    return render(request, "incidents/incident_form.html", {"form": form})


@login_required
@require_safe
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get_for_user(user=request.user, pk=pk)
    return _detail_page(request, incident)


def _detail_page(request, incident: Incident, *, status: int = 200, **forms):
    can_edit = selectors.user_can_edit_incident(request.user, incident)
    if can_edit:
        forms.setdefault("note_form", NoteForm())
        forms.setdefault("resolve_form", ResolveForm())
        forms.setdefault(
            "change_form",
            IncidentChangeForm(
                initial={
                    "product": incident.product,
                    "severity": incident.severity,
                    "kind": incident.kind,
                    "title": incident.title,
                },
                products=selectors.products_assignable(request.user),
                incident=incident,
            ),
        )
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": selectors.incidents_with_versions([incident])[0],
            "deployments": selectors.incident_deployments_before(incident=incident),
            "timeline": selectors.incident_timeline(incident=incident),
            "can_edit": can_edit,
            **audit_selectors.history_for(
                incident,
                product_slug=incident.product.slug if incident.product else None,
            ),
            **(forms if can_edit else {}),
        },
        status=status,
    )


def _editable(request: HttpRequest, pk: int) -> Incident:
    return selectors.incident_get_for_user(user=request.user, pk=pk, for_edit=True)


def _act(request: HttpRequest, call: Callable[[], bool], done: str) -> None:
    """Run a status service; a refused move becomes a message, not an error page."""
    try:
        if call():
            messages.success(request, done)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _editable(request, pk)
    _act(
        request,
        lambda: incident_acknowledge_service(incident=incident, actor=request.user),
        "Acknowledged: you are on it.",
    )
    return redirect(incident)


@login_required
@require_POST
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _editable(request, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, incident, resolve_form=form, status=400)
    note = form.cleaned_data["note"]
    _act(
        request,
        lambda: incident_resolve_service(
            incident=incident, actor=request.user, note=note
        ),
        "Resolved.",
    )
    return redirect(incident)


@login_required
@require_POST
def incident_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Reassign (product, severity, kind, title), also the inbox's triage form."""
    incident = _editable(request, pk)
    # Any product the person reads is a valid choice (403 below when they may
    # not assign to it); a private team's product is as unknown as a made-up one.
    products = products_readable_by(request.user).select_related("team")
    form = IncidentChangeForm(request.POST, products=products, incident=incident)
    if form.is_valid():
        changes = form.changes()
        target = changes.get("product")
        if target and not selectors.user_can_assign(request.user, target):
            raise PermissionDenied("Only its team can take incidents onto a product.")
        if run_service(
            form,
            lambda: incident_update(
                incident=incident, actor=request.user, data=changes
            ),
        ):
            messages.success(request, f"Updated incident #{incident.pk}.")
        return redirect(_next_url(request) or incident.get_absolute_url())
    return _detail_page(request, incident, change_form=form, status=400)


def _next_url(request: HttpRequest) -> str | None:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else None


@login_required
@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _editable(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: incident_note_add(
            incident=incident, actor=request.user, text=form.cleaned_data["text"]
        ),
    ):
        return redirect(f"{incident.get_absolute_url()}#timeline")
    return _detail_page(request, incident, note_form=form, status=400)


# --- Alert integrations -------------------------------------------------------------


@login_required
def integration_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "incidents/integration_list.html",
        {
            "integrations": paginate(
                request, selectors.integration_list(user=request.user), 50
            ),
            "can_create": selectors.user_can_triage(request.user),
            "inbox_count": selectors.incident_inbox_count(),
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("hmac_secret")
@sensitive_variables("data", "created")
def integration_create(request: HttpRequest) -> HttpResponse:
    if not selectors.user_can_triage(request.user):
        raise PermissionDenied("Join a team to connect monitoring tools.")
    products = selectors.products_assignable(request.user)
    initial = {"product": products.filter(slug=request.GET.get("product")).first()}
    form = IntegrationForm(request.POST or None, products=products, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = run_service(
            form,
            lambda: integration_create_service(actor=request.user, data=data),
        )
        if created:
            # Rendered, not redirected: the secret exists only in this response.
            return _integration_page(request, created[0], secret=created[1])
    return render(request, "incidents/integration_form.html", {"form": form})


@login_required
@require_safe
def integration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    integration = selectors.integration_get_for_user(user=request.user, pk=pk)
    return _integration_page(request, integration)


@sensitive_variables("secret")
def _integration_page(request, integration, *, secret: str = "") -> HttpResponse:
    return render(
        request,
        "incidents/integration_detail.html",
        {
            "integration": integration,
            "secret": secret,
            "receiver_url": request.build_absolute_uri(integration.receiver_path),
            "can_manage": selectors.user_can_manage_integration(
                request.user, integration
            ),
            "deliveries": paginate(
                request, selectors.delivery_list(integration=integration), 20
            ),
        },
    )


@login_required
@require_POST
def integration_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    integration = selectors.integration_get_for_user(
        user=request.user, pk=pk, for_edit=True
    )
    integration_revoke_service(integration=integration, actor=request.user)
    messages.success(
        request, f"Revoked {integration.name}: its secret no longer works."
    )
    return redirect("incidents:integration_list")
