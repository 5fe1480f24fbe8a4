"""The follow-up policies page: the organisation's policies and what is late
against them (of the products the reader may read)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tracker.lib.views import paginate
from tracker.postmortems.selectors.policies import policy_list, violations


@login_required
def policy_violations(request: HttpRequest) -> HttpResponse:
    policies = list(policy_list())
    late = violations(user=request.user, policies=policies)
    return render(
        request,
        "postmortems/policies.html",
        {"policies": policies, "violations": paginate(request, late, 50)},
    )
