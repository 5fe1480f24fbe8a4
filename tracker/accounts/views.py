from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from tracker.accounts.models import Team


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.annotate(
        member_count=Count("members", distinct=True),
        product_count=Count("products", distinct=True),
    )
    return render(request, "accounts/team_list.html", {"teams": teams})


@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "members": team.members.order_by("username"),
            "products": team.products.select_related(
                "pm_owner", "ml_owner", "eng_owner"
            ),
        },
    )
