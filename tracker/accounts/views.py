from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.accounts import selectors, services
from tracker.accounts.forms import TeamVisibilityForm
from tracker.accounts.models import Team
from tracker.lib.views import run_service


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = selectors.team_list_with_counts(user=request.user)
    return render(request, "accounts/team_list.html", {"teams": teams})


def _team_page(request: HttpRequest, team: Team, form=None, status=200):
    can_manage = selectors.user_can_manage_team(request.user, team)
    if can_manage and form is None:
        form = TeamVisibilityForm(instance=team)
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "members": team.members.order_by("username"),
            "products": team.products.select_related(
                "pm_owner", "ml_owner", "eng_owner"
            ),
            "visibility_form": form if can_manage else None,
        },
        status=status,
    )


@login_required
@require_safe
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _team_page(request, selectors.team_get(user=request.user, slug=slug))


@login_required
@require_POST
def team_visibility(request: HttpRequest, slug: str) -> HttpResponse:
    """Set who may read the team's products: its members and staff may."""
    team = selectors.team_get(user=request.user, slug=slug)
    if not selectors.user_can_manage_team(request.user, team):
        raise PermissionDenied("Only the team's members can change its visibility.")
    form = TeamVisibilityForm(request.POST, instance=team)
    if form.is_valid():
        data = form.cleaned_data
        team.refresh_from_db()  # the form set the new value while validating
        changed = run_service(form, lambda: services.team_update(team=team, data=data))
        if changed is not None:
            if changed:
                label = team.get_visibility_display()
                messages.success(request, f"Visibility is now {label}.")
            return redirect(team)
    return _team_page(request, team, form, status=400)
