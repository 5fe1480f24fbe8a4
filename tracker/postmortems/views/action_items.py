"""HTML views for action items (from postmortems and planning sessions) and a
person's work page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tracker.lib.views import paginate, run_service
from tracker.postmortems.filters import ActionItemFilter
from tracker.postmortems.forms import (
    ActionItemBulkForm,
    ActionItemForm,
    ActionStatusForm,
)
from tracker.postmortems.models import ActionItem, ActionStatus
from tracker.postmortems.selectors.access import (
    action_item_get_for_user,
    session_get_for_user,
)
from tracker.postmortems.selectors.action_items import (
    action_item_list,
    action_items_for_change,
    action_items_for_person,
    person_get,
    person_reviews,
)
from tracker.postmortems.services.action_items import (
    BulkAction,
    action_item_create,
    action_item_set_status,
    action_item_update,
    action_items_bulk_change,
)
from tracker.postmortems.services.common import ACTION_WORDING
from tracker.postmortems.views.pages import add_page, done


@login_required
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an action item to a postmortem (its page links here)."""
    return add_page(
        request,
        pk,
        lambda postmortem, data: ActionItemForm(data),
        lambda postmortem, data: action_item_create(
            actor=request.user, data=data, postmortem=postmortem
        ),
        anchor="actions",
        message="Action item added.",
        template="postmortems/action_item_form.html",
    )


@login_required
def session_action_add(request: HttpRequest, session_pk: int) -> HttpResponse:
    """Add an action item decided in a planning session (the session page's
    form posts here; errors are shown on a page of their own)."""
    session = session_get_for_user(user=request.user, pk=session_pk, for_edit=True)
    form = ActionItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = run_service(
            form,
            lambda: action_item_create(
                actor=request.user, data=form.cleaned_data, session=session
            ),
        )
        if item:
            messages.success(request, "Action item added.")
            return redirect(f"{session.get_absolute_url()}#actions")
    return render(
        request,
        "postmortems/action_item_form.html",
        {"form": form, "session": session, "product": session.product},
        status=400 if form.errors else 200,
    )


def _source_url(item: ActionItem) -> str:
    return item.get_absolute_url()


@login_required
def action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = action_item_get_for_user(user=request.user, pk=pk, for_edit=True)
    form = ActionItemForm(request.POST or None, instance=item)
    if item.postmortem_id and item.postmortem.is_published:
        # Its wording was published; who does it and by when still moves.
        for name in ACTION_WORDING:
            form.fields[name].disabled = True
            form.fields[name].help_text = "Published: reopen the postmortem to reword."
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item.refresh_from_db()
        if (
            run_service(
                form,
                lambda: action_item_update(item=item, actor=request.user, data=data),
            )
            is not None
        ):
            messages.success(request, "Action item saved.")
            return redirect(_source_url(item))
    return render(
        request,
        "postmortems/action_item_form.html",
        {"form": form, "item": item, "product": _product(item)},
        status=400 if form.errors else 200,
    )


def _product(item: ActionItem):
    return item.source.product


def _next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target else fallback


@login_required
@require_POST
def action_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an item done, won't do (with a reason) or open again."""
    item = action_item_get_for_user(user=request.user, pk=pk, for_edit=True)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        status, note = form.cleaned_data["status"], form.cleaned_data["note"]
        done(
            request,
            form,
            lambda: action_item_set_status(
                item=item, actor=request.user, status=status, note=note
            ),
            {
                ActionStatus.DONE: "Done. Thank you.",
                ActionStatus.WONT_DO: "Marked won't do.",
                ActionStatus.OPEN: "Open again.",
            }[status],
        )
    else:
        messages.error(request, "Choose a valid status.")
    return redirect(_next(request, _source_url(item)))


# --- A person's work ----------------------------------------------------------------


def _work_page(request: HttpRequest, person) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "postmortems/person_work.html",
        {
            "person": person,
            "is_me": person.pk == request.user.pk,
            "actions": action_items_for_person(
                person=person, viewer=request.user, now=now
            ),
            "reviews": person_reviews(person=person, viewer=request.user),
        },
    )


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    """My open and overdue action items, and the postmortems waiting for me."""
    return _work_page(request, request.user)


@login_required
def person_work(request: HttpRequest, username: str) -> HttpResponse:
    return _work_page(request, person_get(username=username))


# --- Every open action item ---------------------------------------------------------

BULK_DONE = {
    BulkAction.REASSIGN: "Reassigned",
    BulkAction.DUE_DATE: "New due date for",
    BulkAction.WONT_DO: "Closed as won't do",
}


def _board_filter(request: HttpRequest) -> ActionItemFilter:
    """Open items, soonest due first, unless the URL says otherwise."""
    data = request.GET.copy()
    data.setdefault("status", ActionStatus.OPEN)
    data.setdefault("ordering", "due")
    return ActionItemFilter(
        data, queryset=action_item_list(user=request.user), request=request
    )


def _bulk_change(request: HttpRequest, form: ActionItemBulkForm) -> None:
    data = form.cleaned_data
    ids = data["item"]
    outcome = action_items_bulk_change(
        actor=request.user,
        ids=ids,
        items=action_items_for_change(user=request.user, ids=ids),
        action=data["action"],
        owner=data["owner"],
        due_date=data["due_date"],
        reason=data["reason"],
    )
    if outcome.changed:
        count = len(outcome.changed)
        messages.success(
            request,
            f"{BULK_DONE[data['action']]} {count} action item{pluralize(count)}.",
        )
    for pk, description, reason in outcome.refused:
        name = f"#{pk} “{description}”" if description else f"#{pk}"
        messages.error(request, f"Not changed: {name}. {reason}")


@login_required
def action_item_board(request: HttpRequest) -> HttpResponse:
    """Every action item the reader may see (open ones by default), filtered
    and sorted from the URL, paginated; POST changes the rows ticked and comes
    back to the same list, saying which were refused and why."""
    bulk_form = ActionItemBulkForm(request.POST or None)
    if request.method == "POST" and bulk_form.is_valid():
        _bulk_change(request, bulk_form)
        return redirect(request.get_full_path())
    item_filter = _board_filter(request)
    page = paginate(request, item_filter.qs)
    return render(
        request,
        "postmortems/action_items.html",
        {
            "filter": item_filter,
            "page": page,
            "bulk_form": bulk_form,
            # After a refused change, the rows stay ticked.
            "ticked": bulk_form.cleaned_data.get("item", [])
            if bulk_form.is_bound
            else [],
            "today": timezone.localdate(),
        },
        status=400 if bulk_form.errors or item_filter.errors else 200,
    )
