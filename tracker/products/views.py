"""HTML views for products. Thin: parse input, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.audit.models import history_url
from tracker.ci import selectors as ci_selectors
from tracker.incidents.selectors import product_open_incidents
from tracker.lib.charts import before_after_chart
from tracker.lib.views import paginate, run_service
from tracker.postmortems.forms import ActionItemForm
from tracker.postmortems.selectors import product_action_items, session_action_items
from tracker.products import selectors, services
from tracker.products.filters import ProductFilter
from tracker.products.forms import (
    MeasurementForm,
    MetricForm,
    ProductForm,
    SessionForm,
    SessionNotesForm,
    SLACheckForm,
    SLAForm,
    StageForm,
    SurveyFeatureForm,
)
from tracker.products.models import Measurement, Product, Stage
from tracker.readiness import selectors as readiness_selectors
from tracker.readiness import services as readiness_services


def _editable(request: HttpRequest, slug: str) -> Product:
    return selectors.product_get_for_user(user=request.user, slug=slug, for_edit=True)


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    product_filter = ProductFilter(
        request.GET, queryset=selectors.product_list(user=request.user), request=request
    )
    page = paginate(request, product_filter.qs)
    template = (
        "products/_product_rows.html" if request.htmx else "products/product_list.html"
    )
    return render(
        request,
        template,
        {
            "filter": product_filter,
            "page": page,
            "can_create": selectors.teams_editable_by(request.user).exists(),
        },
    )


@login_required
def product_create(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_editable_by(request.user)
    if not teams.exists():
        raise PermissionDenied("Join a team before creating products.")
    form = ProductForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        product = run_service(
            form, lambda: services.product_create(actor=request.user, data=data)
        )
        if product:
            messages.success(request, f"Created {product.name}.")
            return redirect(product)
    return render(request, "products/product_form.html", {"form": form})


@login_required
@require_safe
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    metrics = selectors.metric_list_with_latest(product=product)
    for metric in metrics:
        metric.chart = before_after_chart(
            [(m.measured_at, m.value) for m in metric.history],
            baseline=metric.baseline,
            target=metric.target,
            launched_at=product.launched_at,
            label=f"{metric.name} over time",
        )
        metric.progress_value = metric.progress(
            metric.latest.value if metric.latest else None
        )
    survey = list(product.survey.all())
    sessions = list(selectors.session_list(product=product)[:5])
    for session in sessions:
        session.personas = selectors.personas_present(session, product)
    return render(
        request,
        "products/product_detail.html",
        {
            "product": product,
            "can_edit": selectors.user_can_edit_product(request.user, product),
            "timeline": selectors.stage_timeline(product=product),
            "metrics": metrics,
            "slas": selectors.sla_list_with_compliance(product=product),
            "incidents": product_open_incidents(product=product),
            "survey": survey,
            "survey_status": selectors.survey_status(survey),
            "sessions": sessions,
            "ci": ci_selectors.ci_status_combined(product=product),
            "action_items": product_action_items(product=product, now=timezone.now()),
            "stage_form": StageForm(initial={"stage": product.stage}),
            "readiness": readiness_selectors.readiness_for_product(product),
            "ml_score": readiness_selectors.ml_test_score(product),
            "now": timezone.now(),
            # The product's own changes; the link leads to everything's.
            "history": audit_selectors.object_history(product),
            "history_url": history_url(product.slug),
        },
    )


@login_required
def product_edit(request: HttpRequest, slug: str) -> HttpResponse:
    product = _editable(request, slug)
    form = ProductForm(
        request.POST or None,
        instance=product,
        teams=selectors.teams_editable_by(request.user, keep=product.team),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The form mutated `product` while validating; reload so the service
        # compares against what is stored.
        product.refresh_from_db()
        if (
            run_service(
                form,
                lambda: services.product_update(
                    product=product, actor=request.user, data=data
                ),
            )
            is not None
        ):
            messages.success(request, "Saved.")
            return redirect(product)
    return render(
        request, "products/product_form.html", {"form": form, "product": product}
    )


@login_required
@require_POST
def product_stage(request: HttpRequest, slug: str) -> HttpResponse:
    """Move the stage; entering pilot or production with failing readiness items
    asks for an explicit, recorded override."""
    product = _editable(request, slug)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid stage.")
        return redirect(product)
    stage, note = form.cleaned_data["stage"], form.cleaned_data["note"]
    if stage == product.stage:
        return redirect(product)
    try:
        readiness_services.product_change_stage_gated(
            product=product,
            stage=stage,
            note=note,
            actor=request.user,
            override=form.cleaned_data["override"],
        )
    except readiness_services.GateBlocked as blocked:
        context = {
            "product": product,
            "failing": blocked.failing,
            "stage": stage,
            "stage_label": Stage(stage).label,
            "note": note,
        }
        return render(request, "readiness/gate_confirm.html", context, status=409)
    messages.success(request, f"Moved to {product.get_stage_display()}.")
    return redirect(product)


# --- Metrics and measurements ------------------------------------------------------


def _metric(product: Product, pk: int):
    return get_object_or_404(product.metrics.select_related("owner"), pk=pk)


@login_required
def metric_create(request: HttpRequest, slug: str) -> HttpResponse:
    product = _editable(request, slug)
    form = MetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        metric = run_service(
            form, lambda: services.metric_create(product=product, data=data)
        )
        if metric:
            messages.success(request, f"Added {metric.name}.")
            return redirect(metric)
    return render(
        request, "products/metric_form.html", {"form": form, "product": product}
    )


@login_required
def metric_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = _editable(request, slug)
    metric = _metric(product, pk)
    form = MetricForm(request.POST or None, instance=metric)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        metric.refresh_from_db()
        if (
            run_service(form, lambda: services.metric_update(metric=metric, data=data))
            is not None
        ):
            messages.success(request, "Saved.")
            return redirect(metric)
    return render(
        request,
        "products/metric_form.html",
        {"form": form, "product": product, "metric": metric},
    )


@login_required
def metric_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    metric = _metric(product, pk)
    can_edit = selectors.user_can_edit_product(request.user, product)
    form = MeasurementForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(
                "Only the product's team and owners can record values."
            )
        if form.is_valid():
            data = form.cleaned_data
            if run_service(
                form,
                lambda: services.measurement_record(
                    metric=metric, actor=request.user, **data
                ),
            ):
                messages.success(request, "Measurement recorded.")
                return redirect(metric)
    history = list(
        metric.measurements.select_related("recorded_by").order_by("measured_at", "id")
    )
    latest = history[-1] if history else None
    return render(
        request,
        "products/metric_detail.html",
        {
            "product": product,
            "metric": metric,
            "form": form,
            "can_edit": can_edit,
            "measurements": list(reversed(history)),
            "latest": latest,
            "progress": metric.progress(latest.value if latest else None),
            "chart": before_after_chart(
                [(m.measured_at, m.value) for m in history],
                baseline=metric.baseline,
                target=metric.target,
                launched_at=product.launched_at,
                width=720,
                height=200,
                label=f"{metric.name} over time",
            ),
            **audit_selectors.history_for(metric, product_slug=product.slug),
        },
    )


@login_required
@require_POST
def measurement_delete(request: HttpRequest, slug: str, pk: int, measurement_pk: int):
    product = _editable(request, slug)
    metric = _metric(product, pk)
    measurement = get_object_or_404(Measurement, metric=metric, pk=measurement_pk)
    services.measurement_delete(measurement=measurement)
    messages.success(request, "Measurement deleted.")
    return redirect(metric)


# --- SLAs -----------------------------------------------------------------------------


def _sla(product: Product, pk: int):
    return get_object_or_404(product.slas, pk=pk)


@login_required
def sla_create(request: HttpRequest, slug: str) -> HttpResponse:
    product = _editable(request, slug)
    form = SLAForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sla = run_service(form, lambda: services.sla_create(product=product, data=data))
        if sla:
            messages.success(request, f"Added SLA {sla.name}.")
            return redirect(sla)
    return render(request, "products/sla_form.html", {"form": form, "product": product})


@login_required
def sla_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = _editable(request, slug)
    sla = _sla(product, pk)
    form = SLAForm(request.POST or None, instance=sla)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sla.refresh_from_db()
        if (
            run_service(form, lambda: services.sla_update(sla=sla, data=data))
            is not None
        ):
            messages.success(request, "Saved.")
            return redirect(sla)
    return render(
        request,
        "products/sla_form.html",
        {"form": form, "product": product, "sla": sla},
    )


@login_required
def sla_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    sla = _sla(product, pk)
    can_edit = selectors.user_can_edit_product(request.user, product)
    form = SLACheckForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(
                "Only the product's team and owners can record checks."
            )
        if form.is_valid():
            data = form.cleaned_data
            if run_service(
                form,
                lambda: services.sla_check_record(sla=sla, actor=request.user, **data),
            ):
                messages.success(request, "Check recorded.")
                return redirect(sla)
    return render(
        request,
        "products/sla_detail.html",
        {
            "product": product,
            "sla": sla,
            "form": form,
            "can_edit": can_edit,
            "compliance": selectors.sla_compliance(sla=sla),
            "page": paginate(request, sla.checks.select_related("recorded_by"), 20),
            **audit_selectors.history_for(sla, product_slug=product.slug),
        },
    )


# --- Production-data survey -------------------------------------------------------


@login_required
@require_safe
def survey(request: HttpRequest, slug: str) -> HttpResponse:
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    features = list(product.survey.all())
    return render(
        request,
        "products/survey.html",
        {
            "product": product,
            "survey": features,
            "survey_status": selectors.survey_status(features),
            "can_edit": selectors.user_can_edit_product(request.user, product),
            # Deleted rows too: the survey's history is the product's, by kind.
            "history": audit_selectors.kind_history(
                product_id=product.pk, kind="survey"
            ),
            "history_url": history_url(product.slug, kind="survey"),
        },
    )


def _survey_form_page(request, product, feature=None, *, next_url=None):
    form = SurveyFeatureForm(request.POST or None, instance=feature)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if feature is None:
            call = lambda: services.survey_feature_create(product=product, data=data)  # noqa: E731
        else:
            feature.refresh_from_db()
            call = lambda: services.survey_feature_update(feature=feature, data=data)  # noqa: E731
        if run_service(form, call) is not None:
            messages.success(request, f"Saved feature {data['feature']}.")
            return redirect(next_url or "products:survey", slug=product.slug)
    return render(
        request,
        "products/survey_form.html",
        {"form": form, "product": product, "feature": feature},
    )


@login_required
def survey_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _survey_form_page(request, _editable(request, slug))


@login_required
def survey_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = _editable(request, slug)
    return _survey_form_page(request, product, get_object_or_404(product.survey, pk=pk))


# --- Planning sessions ---------------------------------------------------------------


def _session(product: Product, pk: int):
    return get_object_or_404(
        product.sessions.prefetch_related(Prefetch("attendees")), pk=pk
    )


@login_required
def session_create(request: HttpRequest, slug: str) -> HttpResponse:
    product = _editable(request, slug)
    form = SessionForm(
        request.POST or None, candidates=selectors.session_candidates(product=product)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        session = run_service(
            form,
            lambda: services.session_create(
                product=product, actor=request.user, data=data
            ),
        )
        if session:
            messages.success(request, "Session started.")
            return redirect(session)
    return render(
        request, "products/session_form.html", {"form": form, "product": product}
    )


@login_required
def session_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = _editable(request, slug)
    session = _session(product, pk)
    form = SessionForm(
        request.POST or None,
        instance=session,
        candidates=selectors.session_candidates(product=product),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if (
            run_service(
                form, lambda: services.session_update(session=session, data=data)
            )
            is not None
        ):
            messages.success(request, "Session saved.")
            return redirect(session)
    return render(
        request,
        "products/session_form.html",
        {"form": form, "product": product, "session": session},
    )


def _session_page(
    request, product, session, *, notes_form=None, survey_form=None, status=200
):
    can_edit = selectors.user_can_edit_product(request.user, product)
    features = list(product.survey.all())
    if can_edit:
        notes_form = notes_form or SessionNotesForm(instance=session)
        survey_form = survey_form or SurveyFeatureForm()
    return render(
        request,
        "products/session_detail.html",
        {
            "product": product,
            "session": session,
            "personas": selectors.personas_present(session, product),
            "can_edit": can_edit,
            "notes_form": notes_form if can_edit else None,
            "survey_form": survey_form if can_edit else None,
            "survey": features,
            "survey_status": selectors.survey_status(features),
            # Decisions become owned, dated action items (tracker.postmortems).
            "action_items": session_action_items(session=session),
            "action_form": ActionItemForm() if can_edit else None,
            "today": timezone.localdate(),
            # The session's action items (the session itself is not audited).
            **audit_selectors.history_for(
                session, product_slug=product.slug, kind="action_item"
            ),
        },
        status=status,
    )


@login_required
@require_safe
def session_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The planning-session workspace: decisions and the data survey in one sitting."""
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    return _session_page(request, product, _session(product, pk))


@login_required
@require_POST
def session_notes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Save decisions, open questions and notes from the session workspace."""
    product = _editable(request, slug)
    session = _session(product, pk)
    form = SessionNotesForm(request.POST, instance=session)
    if form.is_valid():
        data = form.cleaned_data
        session.refresh_from_db()
        if (
            run_service(
                form, lambda: services.session_update(session=session, data=data)
            )
            is not None
        ):
            messages.success(request, "Decisions saved.")
            return redirect(session)
    return _session_page(request, product, session, notes_form=form, status=400)


@login_required
@require_POST
def session_survey_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Add a survey row from the session workspace, then return to it."""
    product = _editable(request, slug)
    session = _session(product, pk)
    form = SurveyFeatureForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if run_service(
            form, lambda: services.survey_feature_create(product=product, data=data)
        ):
            messages.success(request, f"Added {data['feature']} to the survey.")
            return redirect(session)
    return _session_page(request, product, session, survey_form=form, status=400)
