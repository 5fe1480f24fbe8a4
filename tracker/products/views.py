"""HTML views for products. Thin: parse input, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.audit.models import history_url
from tracker.lib.views import paginate, run_service
from tracker.products import selectors, services
from tracker.products.filters import ProductFilter
from tracker.products.forms import (
    MetricForm,
    ProductForm,
    SessionForm,
    SLAForm,
    SurveyFeatureForm,
)
from tracker.products.models import Measurement, Product


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


# --- Metrics and measurements ------------------------------------------------------


def _metric(product: Product, pk: int):
    return selectors.metric_of_product(product=product, pk=pk)


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
@require_POST
def measurement_delete(request: HttpRequest, slug: str, pk: int, measurement_pk: int):
    product = _editable(request, slug)
    metric = _metric(product, pk)
    measurement = get_object_or_404(Measurement, metric=metric, pk=measurement_pk)
    services.measurement_delete(measurement=measurement)
    messages.success(request, "Measurement deleted.")
    return redirect(metric)


# --- SLAs -----------------------------------------------------------------------------


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
    sla = selectors.sla_of_product(product=product, pk=pk)
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
    session = selectors.session_of_product(product=product, pk=pk)
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
