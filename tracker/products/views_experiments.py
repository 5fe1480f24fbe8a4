"""The rollout plan's page and the experiments' pages. Thin, as views.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.lib.views import run_service
from tracker.products import experiments, selectors
from tracker.products.forms import ExperimentForm, RolloutStepForm
from tracker.products.models import Product
from tracker.products.models_experiments import Experiment, RolloutStep


def _editable(request: HttpRequest, slug: str) -> Product:
    return selectors.product_get_for_user(user=request.user, slug=slug, for_edit=True)


def _step_form(
    request: HttpRequest, product: Product, instance: RolloutStep | None = None
) -> RolloutStepForm:
    return RolloutStepForm(
        request.POST or None,
        candidates=selectors.session_candidates(product=product),
        instance=instance or RolloutStep(product=product),
    )


@login_required
def rollout(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan, where it stands, and (for editors) a form adding a step."""
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    can_edit = selectors.user_can_edit_product(request.user, product)
    form = None
    if can_edit or request.method == "POST":
        product = _editable(request, slug) if request.method == "POST" else product
        form = _step_form(request, product)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = run_service(
            form,
            lambda: experiments.rollout_step_create(product=product, data=data),
        )
        if step:
            messages.success(request, f"Added step {step}.")
            return redirect("products:rollout", product.slug)
    return render(
        request,
        "products/rollout.html",
        {
            "product": product,
            "rollout": experiments.rollout_for(product=product),
            "form": form,
            "can_edit": can_edit,
        },
    )


@login_required
def rollout_step_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = _editable(request, slug)
    step = get_object_or_404(product.rollout_steps, pk=pk)
    form = _step_form(request, product, instance=step)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step.refresh_from_db()
        if (
            run_service(
                form, lambda: experiments.rollout_step_update(step=step, data=data)
            )
            is not None
        ):
            messages.success(request, "Saved.")
            return redirect("products:rollout", product.slug)
    return render(
        request,
        "products/rollout_step_form.html",
        {"form": form, "product": product, "step": step},
    )


@login_required
@require_POST
def rollout_step_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = _editable(request, slug)
    step = get_object_or_404(product.rollout_steps, pk=pk)
    experiments.rollout_step_delete(step=step)
    messages.success(request, f"Removed step {step.label}.")
    return redirect("products:rollout", product.slug)


@login_required
@require_safe
def experiment_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = selectors.product_get_for_user(user=request.user, slug=slug)
    experiment = get_object_or_404(experiments.experiment_list(product=product), pk=pk)
    (experiment,) = experiments.experiments_with_results([experiment])
    return render(
        request,
        "products/experiment_detail.html",
        {
            "product": product,
            "experiment": experiment,
            "arms": experiments.interval_bars(experiment.results),
            "method": experiments.METHOD,
            "can_edit": selectors.user_can_edit_product(request.user, product),
            "api_url": reverse("api:experiment", args=[experiment.pk]),
            **audit_selectors.history_for(experiment, product_slug=product.slug),
        },
    )


def _experiment_form_page(
    request: HttpRequest, product: Product, experiment: Experiment | None
) -> HttpResponse:
    form = ExperimentForm(request.POST or None, product=product, instance=experiment)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if experiment is None:
            saved = run_service(
                form,
                lambda: experiments.experiment_create(
                    product=product, data=data, actor=request.user
                ),
            )
        else:
            experiment.refresh_from_db()
            changed = run_service(
                form,
                lambda: experiments.experiment_update(experiment=experiment, data=data),
            )
            saved = experiment if changed is not None else None
        if saved:
            messages.success(request, "Saved.")
            return redirect(saved)
    return render(
        request,
        "products/experiment_form.html",
        {"form": form, "product": product, "experiment": experiment},
    )


@login_required
def experiment_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _experiment_form_page(request, _editable(request, slug), None)


@login_required
def experiment_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = _editable(request, slug)
    experiment = get_object_or_404(product.experiments, pk=pk)
    return _experiment_form_page(request, product, experiment)
