"""Readiness pages: the checklist and the ML Test Score of a product, and the
product's stage move, which passes the readiness gate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.lib.charts import before_after_chart
from tracker.lib.views import run_service
from tracker.products import selectors as product_selectors
from tracker.products.forms import StageForm
from tracker.products.models import Stage
from tracker.readiness import selectors, services
from tracker.readiness.forms import MLTestResultForm
from tracker.readiness.models import MLTestResult
from tracker.readiness.rubric import MAX_SCORE, TESTS_BY_CODE


@login_required
@require_safe
def readiness_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_selectors.product_get_for_user(user=request.user, slug=slug)
    history = selectors.ml_test_history(product)
    return render(
        request,
        "readiness/readiness_detail.html",
        {
            "product": product,
            "can_edit": product_selectors.user_can_edit_product(request.user, product),
            "readiness": selectors.readiness_for_product(product),
            "score": selectors.ml_test_score(product),
            "suggestions": selectors.survey_suggestions(list(product.survey.all())),
            "history": history,
            "history_chart": before_after_chart(
                [(s.recorded_at, s.score) for s in history],
                baseline=None,
                target=None,
                launched_at=product.launched_at,
                width=720,
                height=200,
                label="ML Test Score over time",
                y_title=f"ML Test Score (0–{MAX_SCORE})",
                lo=0,
                hi=MAX_SCORE,
            ),
        },
    )


@login_required
def ml_test_edit(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    product = product_selectors.product_get_for_user(
        user=request.user, slug=slug, for_edit=True
    )
    test = TESTS_BY_CODE.get(code)
    if test is None:
        raise Http404("No such test.")
    instance = MLTestResult.objects.filter(product=product, code=code).first()
    suggestion = selectors.survey_suggestions(list(product.survey.all())).get(code)
    initial = {}
    if instance is None and suggestion:
        # Pre-filled, not saved: the survey suggests, a person decides.
        initial = {"level": suggestion.level, "evidence": suggestion.text}
    form = MLTestResultForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(
            form,
            lambda: services.ml_test_result_set(
                product=product, code=code, actor=request.user, data=data
            ),
        ):
            messages.success(request, f"Saved {code}.")
            return redirect("readiness:detail", slug=product.slug)
    return render(
        request,
        "readiness/ml_test_form.html",
        {
            "product": product,
            "test": test,
            "form": form,
            "suggestion": suggestion,
        },
    )


@login_required
@require_POST
def product_stage(request: HttpRequest, slug: str) -> HttpResponse:
    """Move the stage; entering pilot or production with failing readiness items
    asks for an explicit, recorded override."""
    product = product_selectors.product_get_for_user(
        user=request.user, slug=slug, for_edit=True
    )
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid stage.")
        return redirect(product)
    stage, note = form.cleaned_data["stage"], form.cleaned_data["note"]
    if stage == product.stage:
        return redirect(product)
    try:
        services.product_change_stage_gated(
            product=product,
            stage=stage,
            note=note,
            actor=request.user,
            override=form.cleaned_data["override"],
        )
    except services.GateBlocked as blocked:
        return _gate_page(request, product, stage, note, blocked.failing, status=409)
    except ValidationError as refused:  # an override without a reason
        failing = selectors.readiness_for_product(product).failing
        return _gate_page(
            request, product, stage, note, failing, refused.messages, status=400
        )
    messages.success(request, f"Moved to {product.get_stage_display()}.")
    return redirect(product)


def _gate_page(request, product, stage, note, failing, errors=(), *, status):
    """The failing items, and the override (with its required reason) set apart."""
    context = {
        "product": product,
        "failing": failing,
        "stage": stage,
        "stage_label": Stage(stage).label,
        "note": note,
        "errors": errors,
    }
    return render(request, "readiness/gate_confirm.html", context, status=status)
