"""Outcomes pages under /products/<slug>/: the feedback list (filterable,
paginated) with the threshold that opens an incident; costs and value with the
payback date; data contracts, consumers and change notices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.lib.views import paginate, run_service
from tracker.outcomes import selectors, services
from tracker.outcomes.filters import FeedbackFilter
from tracker.outcomes.forms import (
    ConsumerForm,
    ContractChangeForm,
    ContractForm,
    CostForm,
    FeedbackForm,
    ThresholdForm,
)
from tracker.products.models import FeatureSource, Product
from tracker.products.selectors import (
    product_get_for_user,
    products_readable_by,
    user_can_edit_product,
)

PER_PAGE = 50


# --- Feedback ---------------------------------------------------------------------


def _feedback_page(request, product, **forms) -> HttpResponse:
    feedback_filter = FeedbackFilter(
        request.GET, queryset=selectors.feedback_list(product=product)
    )
    can_edit = user_can_edit_product(request.user, product)
    context = {
        "product": product,
        "can_edit": can_edit,
        "filter": feedback_filter,
        "page": paginate(request, feedback_filter.qs, PER_PAGE),
        "weekly": selectors.feedback_weekly(product=product),
        "feedback_form": forms.get("feedback_form") or FeedbackForm(product=product),
        "segments": [s.name for s in product.segments.all()],
    }
    if can_edit:
        context["threshold_form"] = forms.get("threshold_form") or ThresholdForm(
            instance=product
        )
    status = 400 if forms else 200
    return render(request, "outcomes/feedback.html", context, status=status)


@login_required
@require_safe
def feedback_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _feedback_page(request, product_get_for_user(user=request.user, slug=slug))


@login_required
@require_POST
def feedback_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug)
    form = FeedbackForm(request.POST, product=product)
    if form.is_valid() and run_service(
        form,
        lambda: services.feedback_submit(
            product=product, data=form.cleaned_data, actor=request.user
        ),
    ):
        messages.success(request, "Thank you: the rating is recorded.")
        return redirect("outcomes:feedback", product.slug)
    return _feedback_page(request, product, feedback_form=form)


@login_required
@require_POST
def feedback_threshold(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    form = ThresholdForm(request.POST, instance=Product.objects.get(pk=product.pk))
    if form.is_valid() and run_service(
        form,
        lambda: (
            services.feedback_threshold_set(
                product=product, data=form.cleaned_data, actor=request.user
            )
            is not None
        ),
    ):
        messages.success(request, "Threshold saved.")
        return redirect("outcomes:feedback", product.slug)
    return _feedback_page(request, product, threshold_form=form)


# --- Cost and value ----------------------------------------------------------------


def _value_page(request, product, cost_form=None) -> HttpResponse:
    can_edit = user_can_edit_product(request.user, product)
    context = {
        "product": product,
        "can_edit": can_edit,
        "value": selectors.value_for_product(product),
        "page": paginate(request, selectors.cost_list(product=product), PER_PAGE),
        "valued_metrics": product.metrics.filter(value_per_unit__isnull=False),
        "cost_form": (cost_form or CostForm()) if can_edit else None,
    }
    status = 400 if cost_form else 200
    return render(request, "outcomes/value.html", context, status=status)


@login_required
@require_safe
def value(request: HttpRequest, slug: str) -> HttpResponse:
    return _value_page(request, product_get_for_user(user=request.user, slug=slug))


@login_required
@require_POST
def cost_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    form = CostForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: services.cost_record(
            product=product, data=form.cleaned_data, actor=request.user
        ),
    ):
        messages.success(request, "Cost recorded.")
        return redirect("outcomes:value", product.slug)
    return _value_page(request, product, cost_form=form)


# --- Data contracts ------------------------------------------------------------------


def _contracts_page(request, product, **forms) -> HttpResponse:
    can_edit = user_can_edit_product(request.user, product)
    readable = products_readable_by(request.user).exclude(pk=product.pk)
    context = {
        "product": product,
        "can_edit": can_edit,
        "sources": selectors.contracts_of(product=product),
        "consumers": selectors.consumer_list(product=product),
        "changes": paginate(
            request, selectors.contract_change_list(product=product), PER_PAGE
        ),
    }
    if can_edit:
        context["consumer_form"] = forms.get("consumer_form") or ConsumerForm(
            products=readable
        )
        context["change_form"] = forms.get("change_form") or ContractChangeForm(
            product=product
        )
        context["contract_form"] = forms.get("contract_form")
        context["contract_source"] = forms.get("contract_source")
    status = 400 if forms else 200
    return render(request, "outcomes/contracts.html", context, status=status)


@login_required
@require_safe
def contracts(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug)
    return _contracts_page(request, product)


@login_required
def contract_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    source = get_object_or_404(FeatureSource, product=product, pk=pk)
    readable = products_readable_by(request.user).exclude(pk=product.pk)
    contract = selectors.contract_of_source(product=product, pk=pk)
    if request.method == "POST":
        form = ContractForm(request.POST, instance=contract, products=readable)
        if form.is_valid() and run_service(
            form,
            lambda: services.contract_set(
                source=source, data=form.cleaned_data, actor=request.user
            ),
        ):
            messages.success(request, f"Contract of {source.feature} saved.")
            return redirect("outcomes:contracts", product.slug)
        status = 400
    else:
        form = ContractForm(instance=contract, products=readable)
        status = 200
    return render(
        request,
        "outcomes/contract_form.html",
        {"product": product, "source": source, "form": form},
        status=status,
    )


@login_required
@require_POST
def consumer_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    readable = products_readable_by(request.user).exclude(pk=product.pk)
    form = ConsumerForm(request.POST, products=readable)
    if form.is_valid() and run_service(
        form,
        lambda: services.consumer_add(
            product=product, data=form.cleaned_data, actor=request.user
        ),
    ):
        messages.success(request, "Consumer added.")
        return redirect("outcomes:contracts", product.slug)
    return _contracts_page(request, product, consumer_form=form)


@login_required
@require_POST
def change_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    form = ContractChangeForm(request.POST, product=product)
    if form.is_valid() and run_service(
        form,
        lambda: services.contract_change_post(
            product=product, data=form.cleaned_data, actor=request.user
        ),
    ):
        messages.success(request, "Change announced: the other side will be told.")
        return redirect("outcomes:contracts", product.slug)
    return _contracts_page(request, product, change_form=form)
