"""HTML views for screens that compose several apps. Thin: read the product
through its selector, gather the page (tracker.pages.selectors) or call one
service, render. Routed in the `products` namespace (tracker/urls.py), so their
URLs and names are the product pages' own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.cards import selectors as cards
from tracker.incidents.services.sla import sla_check_submit
from tracker.integrations import selectors as integrations
from tracker.lib.pdf import render_pdf
from tracker.lib.views import paginate, run_service
from tracker.pages import selectors as pages
from tracker.postmortems.forms import ActionItemForm
from tracker.products import selectors, services
from tracker.products.experiments import metric_arm_names
from tracker.products.forms import (
    MeasurementForm,
    SessionNotesForm,
    SLACheckForm,
    StageForm,
    SurveyFeatureForm,
)
from tracker.products.models import PlanningSession, Product


def _editable(request: HttpRequest, slug: str) -> Product:
    return selectors.product_get_for_user(user=request.user, slug=slug, for_edit=True)


@login_required
@require_safe
def product_detail(
    request: HttpRequest, slug: str, tab: str = "overview"
) -> HttpResponse:
    """One tab of the product's page: overview, metrics, delivery or work
    (the survey and the history are pages of their own, in the same tabs)."""
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    page = pages.product_page(
        tab=tab, product=product, user=request.user, now=timezone.now()
    )
    if tab == "overview":
        page["stage_form"] = StageForm(initial={"stage": product.stage})
    return render(request, f"pages/product_{tab}.html", page)


@login_required
def metric_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A metric's history (deployments marked on its chart) and recording a
    measurement, of the whole product or of one segment."""
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    metric = selectors.metric_of_product(product=product, pk=pk)
    can_edit = selectors.user_can_edit_product(request.user, product)
    segments = [s.name for s in product.segments.all()]
    arms = metric_arm_names(metric=metric)
    form = (
        MeasurementForm(request.POST or None, segments=segments, arms=arms)
        if can_edit
        else None
    )
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
    page = pages.metric_page(metric=metric, product=product)
    page |= {"product": product, "metric": metric, "form": form, "can_edit": can_edit}
    return render(request, "pages/metric_detail.html", page)


def _measured_by(sla) -> dict:
    """The Prometheus query measuring the SLA, if any, with its recent runs
    (failed ones included: a gap is never silent)."""
    sla_query = integrations.sla_query_of(sla=sla)
    if sla_query is None:
        return {"sla_query": None}
    evaluations = integrations.sla_evaluations(sla_query=sla_query)
    return {"sla_query": sla_query, "evaluations": evaluations}


@login_required
def sla_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An SLA's checks, compliance and error budget; recording a check here opens
    or resolves the SLA's breach incident."""
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    sla = selectors.sla_of_product(product=product, pk=pk)
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
                form, lambda: sla_check_submit(sla=sla, actor=request.user, **data)
            ):
                messages.success(request, "Check recorded.")
                return redirect(sla)
    return render(
        request,
        "pages/sla_detail.html",
        {
            "product": product,
            "sla": sla,
            "form": form,
            "can_edit": can_edit,
            "compliance": selectors.sla_compliance(sla=sla),
            "chart": pages.sla_chart(sla=sla, product=product),
            "page": paginate(request, sla.checks.select_related("recorded_by"), 20),
            **_measured_by(sla),
            **audit_selectors.history_for(sla, product_slug=product.slug),
        },
    )


# --- The planning-session workspace -------------------------------------------------


def _session_page(
    request: HttpRequest,
    product: Product,
    session: PlanningSession,
    *,
    notes_form: SessionNotesForm | None = None,
    survey_form: SurveyFeatureForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = pages.session_page(session=session, product=product, user=request.user)
    can_edit = page["can_edit"]
    page |= {
        "notes_form": (notes_form or SessionNotesForm(instance=session))
        if can_edit
        else None,
        "survey_form": (survey_form or SurveyFeatureForm()) if can_edit else None,
        "action_form": ActionItemForm() if can_edit else None,
        "today": timezone.localdate(),
    }
    return render(request, "pages/session_detail.html", page, status=status)


@login_required
@require_safe
def session_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The planning-session workspace: decisions and the data survey in one sitting."""
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    session = selectors.session_of_product(product=product, pk=pk)
    return _session_page(request, product, session)


@login_required
@require_POST
def session_notes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Save decisions, open questions and notes from the session workspace."""
    product = _editable(request, slug)
    session = selectors.session_of_product(product=product, pk=pk)
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
    session = selectors.session_of_product(product=product, pk=pk)
    form = SurveyFeatureForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if run_service(
            form, lambda: services.survey_feature_create(product=product, data=data)
        ):
            messages.success(request, f"Added {data['feature']} to the survey.")
            return redirect(session)
    return _session_page(request, product, session, survey_form=form, status=400)


@login_required
@require_safe
def model_card_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The product's model card as a PDF (the page's sections, printed)."""
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    card = cards.model_card_for_product(product=product)
    pdf = render_pdf(
        "cards/model_card_pdf.html",
        cards.model_card_page(product=product, card=card),
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{product.slug}-model-card.pdf"'
    )
    return response
