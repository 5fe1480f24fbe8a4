"""Every URL in the URLconf refuses anonymous requests, except an explicit list.

The URLs come from tests/urlwalk.py (all patterns, found by walking the
resolvers), so a new unprotected view fails here until it is protected or added
to ALLOWED with a reason. Refused means 401, 403, 405 (a method the view does not
take) or a redirect to a sign-in page; never a page, never a 404 that tells an
anonymous caller whether an object exists.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from tests.urlwalk import routes, walk_values

METHODS = ("get", "post", "put", "patch", "delete")
SIGN_IN_PAGES = ("/accounts/login/?next=", "/admin/login/?next=")


@dataclass(frozen=True)
class Allowed:
    reason: str
    statuses: frozenset[int]
    location: str | None = None  # where its redirects must go (None: nowhere)


def allowed(reason: str, *statuses: int, location: str | None = None) -> Allowed:
    return Allowed(reason, frozenset(statuses), location)


# Route label (name, or the pattern for unnamed routes) → what anonymous callers
# may get from it, with any method.
ALLOWED = {
    "home": allowed("a redirect to the product list", 302, location="/products/"),
    "healthz": allowed("load balancers' liveness check; says ok, nothing else", 200),
    "accounts:login": allowed("the sign-in page", 200, 405),
    "accounts:logout": allowed(
        "signing out (POST only) leads to the sign-in page",
        302,
        405,
        location="/accounts/login/",
    ),
    "admin:login": allowed("the admin's sign-in page", 200, 405),
    "admin:logout": allowed(
        "sends the signed-out to the admin", 302, location="/admin/"
    ),
    "accounts:sso_start": allowed(
        "single sign-on's start: 404 unless configured, then to the provider", 404
    ),
    "accounts:sso_callback": allowed(
        "single sign-on's return from the provider: 404 unless configured", 404
    ),
    "api:token": allowed(
        "signing in for a token: needs a password, throttled", 400, 405, 415
    ),
    "api:schema": allowed("the API's description (no data)", 200, 405),
    "api:docs": allowed("Swagger UI for the API's description (no data)", 200, 405),
    "ci-badge": allowed(
        "a badge shown only where the owners made it public (not here)", 404, 405
    ),
}


def refused(response) -> bool:
    if response.status_code in (401, 403, 405):
        return True
    location = response.headers.get("Location", "")
    return response.status_code == 302 and location.startswith(SIGN_IN_PAGES)


def answers_as_allowed(response, rule: Allowed) -> bool:
    if response.status_code not in rule.statuses:
        return False
    if response.status_code in (301, 302, 303, 307, 308):
        return response.headers.get("Location") == rule.location
    return True


@pytest.fixture
def values(product, alice):
    return walk_values(product=product, actor=alice)


def anonymous_problems(values) -> tuple[list[str], set[str]]:
    """Every answer to an anonymous request that is neither refused nor allowed,
    and the labels of the routes walked."""
    client = Client()
    walked, problems = set(), []
    for route in routes():
        url = route.url(values)
        rule = ALLOWED.get(route.label)
        walked.add(route.label)
        for method in METHODS:
            response = getattr(client, method)(url)
            ok = answers_as_allowed(response, rule) if rule else refused(response)
            if not ok:
                where = response.headers.get("Location", "")
                problems.append(
                    f"{method.upper()} {url} ({route.label}): "
                    f"{response.status_code} {where}".rstrip()
                )
    return problems, walked


def test_anonymous_requests_are_refused_everywhere_but_the_allowed(values):
    problems, walked = anonymous_problems(values)
    assert not problems, "Answered anonymous callers:\n" + "\n".join(problems)
    assert set(ALLOWED) <= walked, f"stale entries: {set(ALLOWED) - walked}"


def test_the_walk_covers_the_whole_urlconf(values):
    """A guard on the walk itself: every kind of URL is in it, and each one is
    built to reach its own view (Route.url checks by resolving it back)."""
    labels = {route.label for route in routes()}
    for expected in (
        "products:metric_detail",
        "api:ci_status",
        "admin:accounts_apitoken_change",
        "admin:app_list",
        "alerts_receive",
        "reports:portfolio_pdf",
        "postmortems:export",
        "api:schema",
    ):
        assert expected in labels
    assert len(labels) > 250
    assert all(route.url(values) for route in routes())


def test_an_unprotected_view_would_be_caught(values, settings):
    """A view added without a sign-in check is found by the walk."""
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    from tracker import urls

    def leaky(request, pk):
        return HttpResponse("secret")

    healthz = next(p for p in urls.urlpatterns if getattr(p, "name", "") == "healthz")
    settings.ROOT_URLCONF = type(
        "URLConf",
        (),
        {"urlpatterns": [healthz, path("leaky/<int:pk>/", leaky)]},
    )
    clear_url_caches()
    values = {**values, "leaky/pk": 1}
    try:
        problems, walked = anonymous_problems(values)
    finally:
        clear_url_caches()
    assert walked == {"healthz", "leaky/<int:pk>/"}
    assert problems == [
        f"{m.upper()} /leaky/1/ (leaky/<int:pk>/): 200" for m in METHODS
    ]


def test_a_public_badge_is_the_only_badge_anonymous_callers_see(client, product):
    product.badge_public = True
    product.save(update_fields=["badge_public"])
    assert client.get(f"/products/{product.slug}/badge.svg").status_code == 200


def test_the_alert_hook_demands_its_secret(client, values):
    response = client.post(
        f"/hooks/alerts/{values['alerts/integration_id']}/",
        data=b"{}",
        content_type="application/json",
    )
    assert response.status_code == 401
