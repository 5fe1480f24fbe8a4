"""Releases pages: a product's versions with their metrics side by side, what
serves in each environment and the deployment history; one version's page;
recording versions and deployments; the product's MLflow registry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.ci.models import metric_key_split
from tracker.lib.tasks import enqueue_on_commit
from tracker.lib.views import run_service
from tracker.products.selectors import product_get_for_user, user_can_edit_product
from tracker.releases import selectors, services, tasks
from tracker.releases.forms import (
    DeploymentForm,
    MlflowRegistryForm,
    ModelVersionForm,
    VersionAliasesForm,
)


@login_required
@require_safe
def version_list(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug)
    can_edit = user_can_edit_product(request.user, product)
    return render(
        request,
        "releases/version_list.html",
        _list_context(product, can_edit),
    )


def _list_context(product, can_edit, **forms) -> dict:
    versions = list(selectors.model_version_list(product=product)[:50])
    names, rows = selectors.versions_side_by_side(versions)
    context = {
        "product": product,
        "can_edit": can_edit,
        "metric_names": names,
        "rows": rows,
        "serving": selectors.serving_now(product=product),
        "deployments": selectors.deployment_list(product=product)[:50],
        "registry": selectors.mlflow_registry_for(product),
    }
    if can_edit:
        context["version_form"] = forms.get("version_form") or ModelVersionForm()
        context["deployment_form"] = forms.get("deployment_form") or DeploymentForm(
            product=product
        )
    return context


@login_required
@require_POST
def version_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    form = ModelVersionForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = run_service(
            form,
            lambda: services.model_version_create(
                product=product,
                version=data.pop("version"),
                data=data,
                actor=request.user,
            ),
        )
        if version:
            messages.success(request, f"Registered version {version.version}.")
            return redirect(version)
    context = _list_context(product, True, version_form=form)
    return render(request, "releases/version_list.html", context, status=400)


@login_required
@require_POST
def deployment_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    form = DeploymentForm(request.POST, product=product)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        deployment = run_service(
            form,
            lambda: services.deployment_record(
                product=product,
                version=data.pop("version"),
                environment=data.pop("environment"),
                data=data,
                actor=request.user,
            ),
        )
        if deployment:
            kind = "rollback" if deployment.is_rollback else "deployment"
            messages.success(request, f"Recorded the {kind}.")
            return redirect("releases:version_list", slug=product.slug)
    context = _list_context(product, True, deployment_form=form)
    return render(request, "releases/version_list.html", context, status=400)


@login_required
@require_safe
def version_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug)
    version = selectors.model_version_get_for_user(user=request.user, pk=pk)
    if version.product_id != product.pk:
        return redirect(version)
    return _version_page(request, product, version)


def _version_page(
    request: HttpRequest,
    product,
    version,
    *,
    aliases_form: VersionAliasesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    previous = selectors.version_previous(version)
    names, rows = selectors.versions_side_by_side(
        [version, previous] if previous else [version]
    )
    aliases = list(version.aliases.all())
    can_edit = user_can_edit_product(request.user, product)
    if can_edit and aliases_form is None:
        aliases_form = VersionAliasesForm(
            initial={"aliases": [a.alias for a in aliases]}
        )
    return render(
        request,
        "releases/version_detail.html",
        {
            "product": product,
            "version": version,
            "previous": previous,
            "can_edit": can_edit,
            "aliases_form": aliases_form if can_edit else None,
            **_metric_rows(names, rows, previous),
            "deployments": version.deployments.select_related("deployed_by"),
            "aliases": aliases,
            # The cards app, above this one, keeps a version's own card.
            "own_card": hasattr(version, "model_card"),
            "history": audit_selectors.object_history(version),
        },
        status=status,
    )


def _metric_rows(names, rows, previous) -> dict:
    """The version's metrics beside the version it replaced: those of the whole
    product, and those of a segment ("auc[merchant_size=small]") apart, as
    (metric, segment, cell, previous cell)."""
    olds = rows[1][1] if previous else [None] * len(names)
    whole, segmented = [], []
    for name, cell, old in zip(names, rows[0][1], olds, strict=True):
        metric, segment = metric_key_split(name)
        if segment:
            segmented.append((metric, segment, cell, old))
        else:
            whole.append((name, cell, old))
    return {"metric_rows": whole, "segment_rows": segmented}


def _editable_version(request: HttpRequest, slug: str, pk: int):
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    version = selectors.model_version_get_for_user(
        user=request.user, pk=pk, for_edit=True
    )
    if version.product_id != product.pk:
        raise Http404("No such version of this product.")
    return product, version


@login_required
@require_POST
def version_approve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The signed-in editor approves the version (recorded with the time)."""
    _, version = _editable_version(request, slug, pk)
    if services.model_version_approve(version=version, actor=request.user):
        messages.success(request, f"Approved version {version.version}.")
    else:
        messages.info(request, f"Version {version.version} was approved already.")
    return redirect(version)


@login_required
@require_POST
def version_aliases(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Set the aliases naming the version; one on another version moves here."""
    product, version = _editable_version(request, slug, pk)
    form = VersionAliasesForm(request.POST)
    if form.is_valid():
        aliases = form.cleaned_data["aliases"]
        done = run_service(
            form,
            lambda: (
                services.model_version_aliases_set(version=version, aliases=aliases)
                or True
            ),
        )
        if done:
            messages.success(request, "Saved the aliases.")
            return redirect(version)
    return _version_page(request, product, version, aliases_form=form, status=400)


@login_required
def mlflow_edit(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    registry = selectors.mlflow_registry_for(product)
    form = MlflowRegistryForm(request.POST or None, instance=registry)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.mlflow_registry_save(
                product=product, data=form.cleaned_data
            ),
        )
        if saved:
            messages.success(request, "Saved the MLflow registry.")
            return redirect("releases:mlflow_edit", slug=product.slug)
    return render(
        request,
        "releases/mlflow_form.html",
        {"product": product, "form": form, "registry": registry},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def mlflow_sync(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue a sync now (the beat task does the same every hour)."""
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    registry = selectors.mlflow_registry_for(product)
    if registry is None:
        messages.error(request, "Connect an MLflow registry first.")
    else:
        enqueue_on_commit(tasks.mlflow_sync, registry.pk)
        messages.success(request, "Sync queued; refresh in a moment.")
    return redirect("releases:mlflow_edit", slug=product.slug)
