"""Pages of the model card (read and edit) and of the product's decisions with
their sign-off. The card's PDF is served by tracker.pages (it renders with the
reports' PDF machinery, a layer above this app)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.cards import selectors, services
from tracker.cards.forms import (
    AnswerForm,
    DecisionForm,
    ModelCardForm,
    VersionModelCardForm,
)
from tracker.lib.views import run_service
from tracker.products import selectors as products
from tracker.releases.selectors import model_version_get_for_user


@login_required
@require_safe
def model_card(request: HttpRequest, slug: str) -> HttpResponse:
    product = products.product_get_for_user(user=request.user, slug=slug)
    card = selectors.model_card_for_product(product=product)
    context = {
        **selectors.model_card_page(product=product, card=card),
        "can_edit": products.user_can_edit_product(request.user, product),
    }
    if card.pk:
        context |= audit_selectors.history_for(card, product_slug=product.slug)
    return render(request, "cards/model_card.html", context)


@login_required
def model_card_edit(request: HttpRequest, slug: str) -> HttpResponse:
    product = products.product_get_for_user(user=request.user, slug=slug, for_edit=True)
    card = selectors.model_card_for_product(product=product)
    form = ModelCardForm(
        request.POST or None,
        instance=card,
        use_cases=product.use_cases.all(),
        segments=product.segments.all(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if card.pk:
            card.refresh_from_db()  # the form mutated it while validating
        saved = run_service(
            form,
            lambda: services.model_card_with_scope_save(
                product=product, data=data, actor=request.user
            ),
        )
        if saved:
            messages.success(request, "Model card saved.")
            return redirect("cards:card", product.slug)
    return render(
        request, "cards/model_card_form.html", {"form": form, "product": product}
    )


# --- A model version's own card ---------------------------------------------------


def _version_of(request: HttpRequest, slug: str, pk: int, *, for_edit: bool = False):
    product = products.product_get_for_user(
        user=request.user, slug=slug, for_edit=for_edit
    )
    version = model_version_get_for_user(user=request.user, pk=pk, for_edit=for_edit)
    if version.product_id != product.pk:
        raise Http404("No such version of this product.")
    return product, version


@login_required
@require_safe
def version_card(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The version's own card, or where to start one (from the product's)."""
    product, version = _version_of(request, slug, pk)
    card = selectors.version_card_of(version=version)
    context = {
        "version": version,
        "can_edit": products.user_can_edit_product(request.user, product),
    }
    if card is None:
        context |= {"product": product, "card": None}
    else:
        context |= selectors.model_card_page(product=product, card=card)
        context |= audit_selectors.history_for(card, product_slug=product.slug)
    return render(request, "cards/version_card.html", context)


@login_required
@require_POST
def version_card_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """ "Create card for this version": a copy of the product's card."""
    _, version = _version_of(request, slug, pk, for_edit=True)
    services.version_card_save(version=version, data={}, actor=request.user)
    messages.success(request, f"Version {version.version} has its own card now.")
    return redirect("cards:version_card_edit", slug, version.pk)


@login_required
def version_card_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product, version = _version_of(request, slug, pk, for_edit=True)
    card = selectors.version_card_of(version=version)
    if card is None:  # the form starts from the product's card
        source = selectors.model_card_for_product(product=product)
        initial = {f: getattr(source, f) for f in VersionModelCardForm.Meta.fields}
        form = VersionModelCardForm(request.POST or None, initial=initial)
    else:
        form = VersionModelCardForm(request.POST or None, instance=card)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if card is not None:
            card.refresh_from_db()  # the form mutated it while validating
        saved = run_service(
            form,
            lambda: services.version_card_save(
                version=version, data=data, actor=request.user
            ),
        )
        if saved:
            messages.success(request, "Model card saved.")
            return redirect("cards:version_card", product.slug, version.pk)
    return render(
        request,
        "cards/version_card_form.html",
        {"form": form, "product": product, "version": version},
        status=400 if form.errors else 200,
    )


@login_required
def decisions(request: HttpRequest, slug: str) -> HttpResponse:
    """The product's decisions, awaiting sign-off first, and recording one."""
    product = products.product_get_for_user(user=request.user, slug=slug)
    can_edit = products.user_can_edit_product(request.user, product)
    form = None
    if can_edit:
        form = DecisionForm(
            request.POST or None,
            product=product,
            candidates=products.session_candidates(product=product),
        )
    if request.method == "POST":
        product = products.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        if form.is_valid():
            data = dict(form.cleaned_data)
            approvers = list(data.pop("approvers"))
            decision = run_service(
                form,
                lambda: services.decision_record(
                    product=product, data=data, actor=request.user, approvers=approvers
                ),
            )
            if decision:
                messages.success(request, "Decision recorded; approval requested.")
                return redirect(decision)
    listed = list(selectors.decision_list(product=product))
    return render(
        request,
        "cards/decisions.html",
        {
            "product": product,
            "decisions": listed,
            "mine": selectors.approvals_awaiting(user=request.user, decisions=listed),
            "form": form,
            "can_edit": can_edit,
        },
    )


@login_required
@require_POST
def approval_answer(
    request: HttpRequest, slug: str, pk: int, approval_pk: int
) -> HttpResponse:
    """Approve or object: the approver only (403 for anyone else)."""
    product = products.product_get_for_user(user=request.user, slug=slug)
    decision = selectors.decision_get(product=product, pk=pk)
    approval = selectors.approval_get_for_answer(
        decision=decision, pk=approval_pk, user=request.user
    )
    form = AnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if run_service(
            form,
            lambda: services.approval_answer(
                approval=approval, actor=request.user, **data
            ),
        ):
            messages.success(request, f"Recorded: {approval.get_state_display()}.")
            return redirect(decision)
    for errors in form.errors.values():
        messages.error(request, " ".join(errors))
    return redirect(decision)
