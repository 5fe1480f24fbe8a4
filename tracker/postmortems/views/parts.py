"""HTML views for the parts of a postmortem: its timeline, contributing factors
and KPI impacts. Each part is added and edited on a page of its own (the
postmortem's page links to it), which shows the form's errors beside it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from tracker.lib.views import run_service
from tracker.postmortems.forms import FactorForm, ImpactForm, MomentForm
from tracker.postmortems.services.common import MOMENT_FIELDS
from tracker.postmortems.services.parts import (
    factor_add as factor_add_service,
)
from tracker.postmortems.services.parts import (
    factor_delete as factor_delete_service,
)
from tracker.postmortems.services.parts import (
    factor_update,
    moment_update,
)
from tracker.postmortems.services.parts import (
    impact_add as impact_add_service,
)
from tracker.postmortems.services.parts import (
    impact_remove as impact_remove_service,
)
from tracker.postmortems.services.parts import (
    moment_add as moment_add_service,
)
from tracker.postmortems.services.parts import (
    moment_delete as moment_delete_service,
)
from tracker.postmortems.services.parts import (
    timeline_prefill as timeline_prefill_service,
)
from tracker.postmortems.views.pages import (
    add_page,
    back,
    buttons,
    done,
    editable,
    part_page,
    read_only,
)

# --- Timeline -----------------------------------------------------------------------


@login_required
def moment_add(request: HttpRequest, pk: int) -> HttpResponse:
    return add_page(
        request,
        pk,
        lambda postmortem, data: MomentForm(data),
        lambda postmortem, data: moment_add_service(
            postmortem=postmortem, actor=request.user, data=data
        ),
        anchor="timeline",
        message="Added to the timeline.",
        heading="Add a moment",
        submit="Add to timeline",
        another="Add and write another",
    )


@login_required
def moment_edit(request: HttpRequest, pk: int, moment_pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    if postmortem.is_published:
        return read_only(request, postmortem)
    moment = get_object_or_404(postmortem.timeline, pk=moment_pk)
    initial = {f: getattr(moment, f) for f in MOMENT_FIELDS}
    form = MomentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if (
            run_service(
                form,
                lambda: moment_update(moment=moment, actor=request.user, data=data),
            )
            is not None
        ):
            messages.success(request, "Timeline saved.")
            return back(postmortem, f"moment-{moment.pk}")
    return part_page(
        request, postmortem, form, heading="Edit a moment", submit="Save moment"
    )


@login_required
@require_POST
def moment_star(request: HttpRequest, pk: int, moment_pk: int) -> HttpResponse:
    """Star or unstar a key moment; htmx swaps the row in place."""
    postmortem = editable(request, pk)
    moment = get_object_or_404(postmortem.timeline, pk=moment_pk)
    form = buttons()
    run_service(
        form,
        lambda: moment_update(
            moment=moment, actor=request.user, data={"starred": not moment.starred}
        ),
    )
    if form.errors:
        messages.error(request, " ".join(form.non_field_errors()))
        return back(postmortem, "timeline")
    if request.htmx:
        return render(
            request,
            "postmortems/_moment_row.html",
            {"moment": moment, "postmortem": postmortem, "can_edit": True},
        )
    return back(postmortem, f"moment-{moment.pk}")


@login_required
@require_POST
def moment_delete(request: HttpRequest, pk: int, moment_pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    moment = get_object_or_404(postmortem.timeline, pk=moment_pk)
    done(
        request,
        buttons(),
        lambda: moment_delete_service(moment=moment, actor=request.user),
        "Removed from the timeline.",
    )
    return back(postmortem, "timeline")


@login_required
@require_POST
def timeline_prefill(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    form = buttons()
    added = run_service(
        form,
        lambda: timeline_prefill_service(postmortem=postmortem, actor=request.user),
    )
    if form.errors:
        messages.error(request, " ".join(form.non_field_errors()))
    else:
        messages.success(
            request,
            f"Copied {added} moment{'s' if added != 1 else ''} from the incidents."
            if added
            else "The timeline already has everything from the incidents.",
        )
    return back(postmortem, "timeline")


# --- Contributing factors -----------------------------------------------------------


@login_required
def factor_add(request: HttpRequest, pk: int) -> HttpResponse:
    return add_page(
        request,
        pk,
        lambda postmortem, data: FactorForm(data),
        lambda postmortem, data: factor_add_service(
            postmortem=postmortem, actor=request.user, data=data
        ),
        anchor="factors",
        message="Contributing factor added.",
        heading="Add a contributing factor",
        submit="Add factor",
        another="Add and write another",
        lead="A condition in data, model, code, infrastructure, process or "
        "communication that made this possible. Name systems and decisions, "
        "not people.",
    )


@login_required
def factor_edit(request: HttpRequest, pk: int, factor_pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    if postmortem.is_published:
        return read_only(request, postmortem)
    factor = get_object_or_404(postmortem.factors, pk=factor_pk)
    form = FactorForm(request.POST or None, instance=factor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        factor.refresh_from_db()
        if (
            run_service(
                form,
                lambda: factor_update(factor=factor, actor=request.user, data=data),
            )
            is not None
        ):
            messages.success(request, "Contributing factor saved.")
            return back(postmortem, "factors")
    return part_page(
        request,
        postmortem,
        form,
        heading="Edit a contributing factor",
        submit="Save factor",
    )


@login_required
@require_POST
def factor_delete(request: HttpRequest, pk: int, factor_pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    factor = get_object_or_404(postmortem.factors, pk=factor_pk)
    done(
        request,
        buttons(),
        lambda: factor_delete_service(factor=factor, actor=request.user),
        "Contributing factor removed.",
    )
    return back(postmortem, "factors")


# --- KPI impacts --------------------------------------------------------------------


@login_required
def impact_add(request: HttpRequest, pk: int) -> HttpResponse:
    return add_page(
        request,
        pk,
        lambda postmortem, data: ImpactForm(data, product=postmortem.product),
        lambda postmortem, data: impact_add_service(
            postmortem=postmortem, actor=request.user, **data
        ),
        anchor="impact",
        message="KPI impact recorded.",
        heading="Record a KPI it moved",
        submit="Record impact",
        needs_kpis=True,
    )


@login_required
@require_POST
def impact_remove(request: HttpRequest, pk: int, impact_pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    impact = get_object_or_404(postmortem.metric_impacts, pk=impact_pk)
    done(
        request,
        buttons(),
        lambda: impact_remove_service(impact=impact, actor=request.user),
        "KPI impact removed.",
    )
    return back(postmortem, "impact")
