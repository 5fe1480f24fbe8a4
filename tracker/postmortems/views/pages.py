"""HTML views for postmortems and action items. Thin: parse input, call a
selector or service, render."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from tracker.audit import selectors as audit_selectors
from tracker.incidents.selectors import incident_get_for_user
from tracker.lib.views import paginate, run_service
from tracker.postmortems.blameless import check_text, numbered
from tracker.postmortems.filters import LibraryFilter, PostmortemFilter
from tracker.postmortems.forms import (
    DetailsForm,
    PostmortemCreateForm,
    TransitionForm,
    WriteUpForm,
)
from tracker.postmortems.models import (
    SECTION_KEYS,
    SECTIONS_BY_KEY,
    Postmortem,
    Rule,
    Status,
)
from tracker.postmortems.selectors.access import (
    moves_for,
    people_index,
    postmortem_get_for_user,
    products_for_postmortems,
    user_can_edit_postmortem,
    user_can_review,
)
from tracker.postmortems.selectors.lists import (
    library_list,
)
from tracker.postmortems.selectors.lists import (
    postmortem_list as postmortem_list_selector,
)
from tracker.postmortems.selectors.page import postmortem_page
from tracker.postmortems.services.common import READ_ONLY
from tracker.postmortems.services.warnings import (
    warning_accept as warning_accept_service,
)
from tracker.postmortems.services.writeup import (
    postmortem_create as postmortem_create_service,
)
from tracker.postmortems.services.writeup import (
    postmortem_from_incident as postmortem_from_incident_service,
)
from tracker.postmortems.services.writeup import (
    postmortem_transition as postmortem_transition_service,
)
from tracker.postmortems.services.writeup import (
    postmortem_update,
)
from tracker.products.selectors import user_can_edit_product


def editable(request: HttpRequest, pk: int) -> Postmortem:
    return postmortem_get_for_user(user=request.user, pk=pk, for_edit=True)


def read_only(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    """Where an editing page of a published postmortem sends the reader (the
    services refuse the change anyway)."""
    messages.info(request, READ_ONLY)
    return redirect(postmortem)


MOVED = {
    Status.IN_REVIEW: "Submitted for review.",
    Status.REVIEWED: "Marked reviewed.",
    Status.PUBLISHED: "Published. It is in the library now.",
    Status.DRAFT: "Back to draft.",
}
REOPENED = (
    "Reopened: it is a draft again, and goes through review before it is "
    "published again."
)


def back(postmortem: Postmortem, anchor: str) -> HttpResponse:
    """To the postmortem's page, at one of its parts."""
    return redirect(f"{postmortem.get_absolute_url()}#{anchor}")


def part_page(
    request: HttpRequest,
    postmortem: Postmortem,
    form: forms.Form,
    *,
    template: str = "postmortems/part_form.html",
    **context,
) -> HttpResponse:
    """The page of one form about a part of the postmortem, its errors beside
    its fields (400). `context`: for part_form.html, `heading` and `submit`;
    `another`, the label of a second button that saves and comes back to an
    empty form; `lead`, a line under the heading; `needs_kpis`, say so when
    the product has no KPIs to pick."""
    return render(
        request,
        template,
        {
            "postmortem": postmortem,
            "product": postmortem.product,
            "form": form,
            **context,
        },
        status=400 if form.errors else 200,
    )


def add_page(
    request: HttpRequest,
    pk: int,
    make_form: Callable[[Postmortem, Any], forms.Form],
    save: Callable[[Postmortem, dict], Any],
    *,
    anchor: str,
    message: str,
    **page,
) -> HttpResponse:
    """A page that adds one part: `make_form(postmortem, data)` builds its
    form, `save(postmortem, cleaned_data)` calls the service. Once saved, back
    to the postmortem at `anchor`, or to an empty form again when the writer
    asked for another; otherwise the form with its errors (`page`: part_page's
    template and context)."""
    postmortem = editable(request, pk)
    if postmortem.is_published:
        return read_only(request, postmortem)
    form = make_form(postmortem, request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, lambda: save(postmortem, form.cleaned_data))
    ):
        messages.success(request, message)
        if "another" in request.POST:
            return redirect(request.path)
        return back(postmortem, anchor)
    return part_page(request, postmortem, form, **page)


def buttons() -> forms.Form:
    """The form of a button that posts nothing (remove, star): somewhere for
    run_service and done() to put a refusal."""
    form = forms.Form({})
    form.is_valid()
    return form


def done(
    request: HttpRequest, form: forms.Form, call: Callable[[], Any], success: str
) -> bool:
    """run_service for a form that is only buttons (no page shows errors beside
    it): the outcome becomes a message on the page the user returns to."""
    run_service(form, call)
    if form.errors:
        refusals = [message for errors in form.errors.values() for message in errors]
        messages.error(request, " ".join(refusals))
        return False
    messages.success(request, success)
    return True


# --- Lists --------------------------------------------------------------------------


@login_required
def postmortem_list(request: HttpRequest) -> HttpResponse:
    postmortem_filter = PostmortemFilter(
        request.GET,
        queryset=postmortem_list_selector(user=request.user),
        request=request,
    )
    return render(
        request,
        "postmortems/postmortem_list.html",
        {
            "filter": postmortem_filter,
            "page": paginate(request, postmortem_filter.qs),
            "can_create": products_for_postmortems(request.user).exists(),
        },
    )


# Each entry is a card with its summary and its lessons in full: ten to a page,
# as a search's results come.
LIBRARY_PER_PAGE = 10


@login_required
def library(request: HttpRequest) -> HttpResponse:
    """Published postmortems and their lessons, searchable."""
    library_filter = LibraryFilter(
        request.GET, queryset=library_list(user=request.user), request=request
    )
    template = (
        "postmortems/_library_rows.html"
        if request.htmx
        else ("postmortems/library.html")
    )
    return render(
        request,
        template,
        {
            "filter": library_filter,
            "page": paginate(request, library_filter.qs, LIBRARY_PER_PAGE),
        },
    )


# --- Creating -------------------------------------------------------------------------


@login_required
def postmortem_create(request: HttpRequest) -> HttpResponse:
    products = products_for_postmortems(request.user)
    if not products.exists():
        raise PermissionDenied("Join a product's team to write its postmortems.")
    # NUL cannot name a product (and PostgreSQL would refuse the lookup).
    slug = request.GET.get("product", "").replace("\x00", "")
    chosen = products.filter(slug=slug).first() if slug else None
    form = PostmortemCreateForm(
        request.POST or None,
        products=products,
        product=chosen,
        initial={
            "product": chosen,
            # Offered by a retired product's page and a missed KPI review.
            "failure_kind": request.GET.get("failure_kind", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        postmortem = run_service(
            form,
            lambda: postmortem_create_service(
                product=data["product"], actor=request.user, data=data
            ),
        )
        if postmortem:
            messages.success(request, "Draft started. Write it up below.")
            return redirect("postmortems:edit", pk=postmortem.pk)
    return render(request, "postmortems/postmortem_create.html", {"form": form})


@login_required
@require_POST
def postmortem_from_incident(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """The incident page's "Write postmortem" button."""
    incident = incident_get_for_user(user=request.user, pk=incident_pk)
    if incident.product is None or not user_can_edit_product(
        request.user, incident.product
    ):
        raise PermissionDenied("Only the product's team can write its postmortems.")
    try:
        postmortem, created = postmortem_from_incident_service(
            incident=incident, actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(incident)
    if created:
        messages.success(request, "Draft started with the incident's timeline.")
        return redirect("postmortems:edit", pk=postmortem.pk)
    messages.info(request, "This incident already has a postmortem in progress.")
    return redirect(postmortem)


# --- Reading ------------------------------------------------------------------------


@login_required
@require_safe
def postmortem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = postmortem_get_for_user(user=request.user, pk=pk)
    return detail_page(request, postmortem)


def detail_page(
    request,
    postmortem: Postmortem,
    *,
    status: int = 200,
    transition_form: TransitionForm | None = None,
):
    """The postmortem as people read it. Its parts are added and changed on
    pages of their own (links here); only the review's moves post from it."""
    # Action items' progress goes on after publishing; the write-up and its
    # parts are read-only until someone reopens it.
    can_act = user_can_edit_postmortem(request.user, postmortem)
    can_review = user_can_review(request.user, postmortem)
    can_edit = can_act and not postmortem.is_published
    return render(
        request,
        "postmortems/postmortem_detail.html",
        {
            "pm": postmortem_page(postmortem=postmortem, now=timezone.now()),
            "postmortem": postmortem,
            "can_edit": can_edit,
            "can_act": can_act,
            "can_review": can_review,
            "moves": moves_for(postmortem, can_edit=can_act, can_review=can_review),
            "transition_form": transition_form,
            # Every change to the postmortem and its action items, field by
            # field, is on the product's history page.
            "history_url": audit_selectors.history_link(
                postmortem, product_slug=postmortem.product.slug
            ),
        },
        status=status,
    )


@login_required
@require_safe
def postmortem_print(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = postmortem_get_for_user(user=request.user, pk=pk)
    page = postmortem_page(postmortem=postmortem, now=timezone.now())
    return render(
        request,
        "postmortems/postmortem_print.html",
        {"pm": page, "postmortem": postmortem},
    )


@login_required
@require_safe
def postmortem_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The write-up as a Markdown file."""
    postmortem = postmortem_get_for_user(user=request.user, pk=pk)
    page = postmortem_page(postmortem=postmortem, now=timezone.now())
    body = render_to_string(
        "postmortems/postmortem_export.md",
        {
            "pm": page,
            "postmortem": postmortem,
            "site_url": request.build_absolute_uri("/"),
        },
    )
    response = HttpResponse(body, content_type="text/markdown; charset=utf-8")
    name = slugify(postmortem.title)[:80] or "postmortem"
    response["Content-Disposition"] = (
        f'attachment; filename="postmortem-{postmortem.pk}-{name}.md"'
    )
    return response


# --- Writing ------------------------------------------------------------------------


@login_required
def postmortem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The write-up editor: every section, with the live blameless check."""
    postmortem = editable(request, pk)
    if postmortem.is_published:
        return read_only(request, postmortem)
    form = WriteUpForm(request.POST or None, instance=postmortem)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        postmortem.refresh_from_db()
        changed = run_service(
            form,
            lambda: postmortem_update(
                postmortem=postmortem, actor=request.user, data=data
            ),
        )
        if changed is not None:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect(postmortem)
    page = postmortem_page(postmortem=postmortem, now=timezone.now())
    return render(
        request,
        "postmortems/postmortem_edit.html",
        {"form": form, "postmortem": postmortem, "pm": page},
        status=400 if form.errors else 200,
    )


@login_required
def postmortem_details(request: HttpRequest, pk: int) -> HttpResponse:
    """Title, covered incidents, authors, reviewers and review dates."""
    postmortem = editable(request, pk)
    if postmortem.is_published:
        return read_only(request, postmortem)
    form = DetailsForm(request.POST or None, instance=postmortem)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        postmortem.refresh_from_db()
        if (
            run_service(
                form,
                lambda: postmortem_update(
                    postmortem=postmortem, actor=request.user, data=data
                ),
            )
            is not None
        ):
            messages.success(request, "Saved.")
            return redirect(postmortem)
    return render(
        request,
        "postmortems/postmortem_details.html",
        {"form": form, "postmortem": postmortem},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def postmortem_transition(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return detail_page(request, postmortem, transition_form=form, status=400)
    status = form.cleaned_data["status"]
    reason = form.cleaned_data["reason"]
    done(
        request,
        form,
        lambda: postmortem_transition_service(
            postmortem=postmortem, actor=request.user, status=status, reason=reason
        ),
        REOPENED if postmortem.is_published else MOVED[status],
    )
    return redirect(postmortem)


@login_required
@require_POST
def blameless_check(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    """The editor's live check (htmx, debounced): warnings for the text as typed,
    marked accepted where a reviewer accepted that phrase. Nothing is stored."""
    postmortem = editable(request, pk)
    if section not in SECTION_KEYS:
        raise Http404("No such section.")
    findings = check_text(request.POST.get(section, ""), people=people_index())
    accepted = {
        (" ".join(w.phrase.lower().split()), w.occurrence): w
        for w in postmortem.warnings.filter(
            section=section, accepted_at__isnull=False
        ).select_related("accepted_by")
    }
    return render(
        request,
        "postmortems/_live_warnings.html",
        {
            "section": SECTIONS_BY_KEY[section],
            "findings": [
                (finding, accepted.get((finding.key, n)))
                for finding, n in numbered(findings)
            ],
            "rules": dict(Rule.choices),
        },
    )


@login_required
@require_POST
def warning_accept(request: HttpRequest, pk: int, warning_pk: int) -> HttpResponse:
    postmortem = editable(request, pk)
    warning = get_object_or_404(postmortem.warnings, pk=warning_pk)
    warning.postmortem = postmortem
    if warning_accept_service(warning=warning, actor=request.user):
        messages.success(request, f"Accepted “{warning.phrase}”.")
    return redirect(f"{postmortem.get_absolute_url()}#warnings")
