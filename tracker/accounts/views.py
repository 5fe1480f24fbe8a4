from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from tracker.accounts import selectors, services
from tracker.accounts.forms import MemberForm, TeamCreateForm, TeamVisibilityForm
from tracker.accounts.models import Team, User
from tracker.accounts.oidc import sso_enabled
from tracker.lib.views import paginate, run_service


class SignInView(auth_views.LoginView):
    """Django's sign-in page, offering single sign-on when it is configured."""

    def get_context_data(self, **kwargs):
        sso_failed = self.request.GET.get("sso") == "failed"
        return {
            **super().get_context_data(**kwargs),
            "sso_enabled": sso_enabled(),
            "sso_failed": sso_failed,
        }


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = paginate(request, selectors.team_list_with_counts(user=request.user), 50)
    can_create = selectors.user_can_create_team(request.user)
    return render(
        request,
        "accounts/team_list.html",
        {"teams": teams, "page": teams, "can_create": can_create},
    )


@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    """A new team: staff only."""
    if not selectors.user_can_create_team(request.user):
        raise PermissionDenied("Only staff create teams.")
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = run_service(form, lambda: services.team_create(data=data))
        if team is not None:
            messages.success(request, f"Team {team.name} created: add its members.")
            return redirect(team)
    status = 400 if form.errors else 200
    return render(request, "accounts/team_create.html", {"form": form}, status=status)


def _team_page(
    request: HttpRequest, team: Team, form=None, member_form=None, status=200
):
    can_manage = selectors.user_can_manage_team(request.user, team)
    if can_manage and form is None:
        form = TeamVisibilityForm(instance=team)
    can_manage_members = selectors.user_can_manage_members(request.user, team)
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "memberships": paginate(
                request, selectors.team_memberships(team=team), 50, "members_page"
            ),
            "products": paginate(
                request, team.products.order_by("name", "id"), 50, "products_page"
            ),
            "visibility_form": form if can_manage else None,
            "member_form": (member_form or MemberForm())
            if can_manage_members
            else None,
        },
        status=status,
    )


@login_required
@require_POST
def team_member_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a person with a role, or change the role of one already in."""
    team = selectors.team_get_to_manage_members(user=request.user, slug=slug)
    form = MemberForm(request.POST)
    if form.is_valid():
        user, role = form.cleaned_data["username"], form.cleaned_data["role"]
        created = services.team_member_set(team=team, user=user, role=role)
        verb = "added" if created else "now"
        messages.success(request, f"{user.username} {verb} as {role}.")
        return redirect(team)
    return _team_page(request, team, member_form=form, status=400)


@login_required
@require_POST
def team_member_remove(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    team = selectors.team_get_to_manage_members(user=request.user, slug=slug)
    user = User.objects.filter(username=username).first()
    if user is not None and services.team_member_remove(team=team, user=user):
        messages.success(request, f"{username} is no longer in {team.name}.")
    return redirect(team)


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
