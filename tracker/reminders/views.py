"""HTML views: notifications, preferences, KPI reviews and the "still accurate"
confirmations of surveys and SLAs. Thin: parse input, call a selector or a
service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tracker.lib.views import paginate, run_service
from tracker.products.selectors import product_get_for_user, user_can_edit_product
from tracker.reminders import registry, selectors
from tracker.reminders.filters import NotificationFilter
from tracker.reminders.forms import PreferencesForm, ReviewCompleteForm, ReviewPlanForm
from tracker.reminders.services import notifications, reviews
from tracker.reminders.services.reviews import review_period


def _back(request: HttpRequest, fallback: str) -> str:
    """Where a form posted from a list returns to: a local `next`, or fallback."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


# --- Notifications ------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    filtered = NotificationFilter(
        request.GET, queryset=selectors.notification_list(user=request.user)
    )
    page = paginate(request, filtered.qs)
    for notification in page:
        rule = registry.get_rule(notification.rule)
        notification.headline = rule.headline(notification.escalation) if rule else ""
    return render(
        request,
        "reminders/notification_list.html",
        {"page": page, "unread_only": filtered.form.cleaned_data.get("unread")},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to the page where it can be acted on; following it
    is reading it."""
    notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    notifications.notification_mark_read(notification=notification)
    if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("reminders:notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    notifications.notification_mark_read(notification=notification)
    return redirect(_back(request, "reminders:notifications"))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification(s) as read.")
    return redirect(_back(request, "reminders:notifications"))


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    prefs = selectors.preferences_for_user(user=request.user)
    form = PreferencesForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(
            form, lambda: notifications.preferences_update(user=request.user, data=data)
        ):
            messages.success(request, "Notification preferences saved.")
            return redirect("reminders:preferences")
    return render(request, "reminders/preferences.html", {"form": form})


# --- Post-launch KPI reviews --------------------------------------------------------


@login_required
def kpi_review_list(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug)
    can_edit = user_can_edit_product(request.user, product)
    initial = ", ".join(map(str, selectors.kpi_review_plan_weeks(product=product)))
    form = ReviewPlanForm(request.POST or None, initial={"weeks": initial})
    if request.method == "POST":
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        if form.is_valid():
            weeks = form.cleaned_data["weeks"]
            if run_service(
                form,
                lambda: reviews.kpi_review_plan_update(
                    product=product, weeks=weeks, actor=request.user
                ),
            ):
                messages.success(request, "Review schedule saved.")
                return redirect("reminders:kpi_reviews", slug=product.slug)
    return render(
        request,
        "reminders/kpi_review_list.html",
        {
            "product": product,
            "reviews": selectors.kpi_review_list(product=product),
            "form": form,
            "can_edit": can_edit,
            "now": timezone.now(),
        },
    )


@login_required
def kpi_review_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_get_for_user(
        user=request.user, slug=slug, for_edit=request.method == "POST"
    )
    review = selectors.kpi_review_get(product=product, pk=pk)
    form = ReviewCompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        conclusion = form.cleaned_data["conclusion"]
        if run_service(
            form,
            lambda: reviews.kpi_review_complete(
                review=review, actor=request.user, conclusion=conclusion
            ),
        ):
            messages.success(request, "Review completed.")
            return redirect(review)
    rows = selectors.kpi_review_comparison(review=review)
    return render(
        request,
        "reminders/kpi_review_detail.html",
        {
            "product": product,
            "review": review,
            "rows": rows,
            "target_missed": any(row.target_missed for row in rows),
            "form": form,
            "can_edit": user_can_edit_product(request.user, product),
            "now": timezone.now(),
        },
    )


# --- "Still accurate" confirmations -------------------------------------------------


def _confirmed(request: HttpRequest, what: str) -> None:
    next_due = timezone.now() + review_period()
    messages.success(
        request,
        f"Marked the {what} as reviewed; next review due "
        f"{format_date(timezone.localtime(next_due), 'j M Y')}.",
    )


@login_required
@require_POST
def survey_reviewed(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    reviews.review_confirm(product=product, actor=request.user)
    _confirmed(request, "data survey")
    return redirect("products:survey", slug=product.slug)


@login_required
@require_POST
def sla_reviewed(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
    sla = get_object_or_404(product.slas, pk=pk)
    reviews.review_confirm(product=product, sla=sla, actor=request.user)
    _confirmed(request, "SLA")
    return redirect(sla)
