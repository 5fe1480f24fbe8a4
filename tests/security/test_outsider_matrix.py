"""The outsider matrix (docs/access.md): every route of the URLconf, walked as
carol, an outsider in another team.

- A private team's products, and everything under them, do not exist for her:
  every list, search, count, report and export reads exactly as it did before
  the private team had anything (byte for byte, bar CSRF tokens), with none of
  its names, slugs or object URLs; every route naming one of its objects is 404
  for every method (405 where the method is not served); and nothing changes in
  the database.
- The mirror, an organisation-wide team: she reads (200) and may not write (403).

Routes come from the URLconf (tests/urlwalk.py), so a route added later is
walked too: a key this module cannot fill, or a route it cannot classify, fails
`test_every_route_is_classified` until someone says what it is.
"""

import copy
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import ProductFactory, TeamFactory
from tests.urlwalk import HTTP_METHODS, Route, routes
from tests.world import one_of_everything
from tracker.accounts.models import ApiToken, Visibility
from tracker.accounts.services import token_create

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)

# Routes outside the matrix, and why (each must still match a route).
EXEMPT = {
    "admin/": "the Django admin: staff only, and staff read every team anyway",
    "hooks/alerts/<int:integration_id>/": "monitoring tools post here with the "
    "integration's secret, not as a person (tests/incidents/test_receiver.py)",
    "hooks/github/<int:connection_id>/": "GitHub posts here, signed with the "
    "connection's webhook secret, not as a person (tests/integrations/test_github.py)",
}
# Keyed routes about a person rather than an object: walked like the lists.
PEOPLE = {"people": "alice"}
# Someone else's own objects: 404 to carol whatever the team's visibility.
OWN_ONLY = {"notifications", "tokens", "exports"}
# Pages to change something: an outsider to an organisation team gets 403.
WRITE_PAGE = re.compile(r"(edit|create|details|_add)$")
# Writes anyone who reads the product may make: the people who use a model rate
# its predictions (docs/value.md). The walk's empty body is refused, so nothing
# is written.
READER_WRITES = {
    "api/v1/products/<slug:slug>/feedback/",
    "products/<slug:slug>/feedback/add/",
}
# Reads that need the right to change (a product's CI tokens).
MEMBERS_ONLY_READS = {"api/v1/products/<slug:slug>/ci-tokens/"}
# What a search or a filter for the private team's things would send.
VARIANTS = ["", "?q=Zebracorn", "?product=zebracorn-score&team=zebracorn-lab"]
# Documentation, the same for everyone: read once, without the variants.
DOCUMENTATION = {"api/v1/schema/", "api/v1/docs/"}
# Masked CSRF tokens differ on every render; nothing else may.
CSRF = re.compile(rb"[A-Za-z0-9]{64}")
# The portfolio report says how many products the reader cannot see (a count,
# never which): the one thing a private team changes in an outsider's lists.
HIDDEN = re.compile(
    rb'"hidden_products":\d+|<p class="small muted hidden-products">[^<]*</p>'
)


def _exempt(route: Route) -> bool:
    return any(route.pattern.startswith(prefix) for prefix in EXEMPT)


def _walked() -> list[Route]:
    return [route for route in routes() if not _exempt(route)]


def _keyed(route: Route) -> bool:
    return bool(route.params) and not _person_page(route)


def _person_page(route: Route) -> bool:
    return any(noun in PEOPLE for noun, _ in route.keys)


def _path(route: Route, keys: dict) -> str:
    return route.path(**{param: keys[noun] for noun, param in route.keys})


# --- The worlds -----------------------------------------------------------------------


class _HtmlAsPdf:
    """WeasyPrint stand-in: the "PDF" is the HTML it would render, so the
    exports can be read (and the matrix stays fast)."""

    def __init__(self, string: str, base_url: str | None = None) -> None:
        self.string = string

    def write_pdf(self) -> bytes:
        return self.string.encode()


@pytest.fixture
def frozen(monkeypatch, settings):
    monkeypatch.setattr("weasyprint.HTML", _HtmlAsPdf)
    rest = copy.deepcopy(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(
        rest["DEFAULT_THROTTLE_RATES"], "100000/min"
    )
    settings.REST_FRAMEWORK = rest
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def organisation_keys(frozen, product, alice, bob):
    """Alice's organisation-wide team owns one of everything."""
    keys, _ = one_of_everything(product, author=alice, owner=bob, notified=alice)
    return keys


def _private_world(alice, bob, carol) -> tuple[dict, list[str]]:
    """A private team (alice and bob) owns one of everything; carol owns one of
    its action items and has a notification about it, as if recorded before
    the team went private."""
    team = TeamFactory(
        name="Zebracorn lab",
        slug="zebracorn-lab",
        members=[alice, bob],
        visibility=Visibility.PRIVATE,
    )
    product = ProductFactory(
        name="Zebracorn score", slug="zebracorn-score", team=team, pm_owner=alice
    )
    return one_of_everything(product, author=alice, owner=carol, notified=carol)


@pytest.fixture
def private_keys(organisation_keys, alice, bob, carol):
    return _private_world(alice, bob, carol)[0]


@pytest.fixture
def as_carol(carol, other_team):
    html = Client()
    html.force_login(carol)
    token, raw = token_create(user=carol, name="carol's laptop")
    # Used already: the token list she reads shows the same before and after.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=NOW)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def request(route: Route, method: str, path: str, data: dict | None = None):
        """As a person would send it: forms to pages, JSON to the API (an
        empty body unless `data` is given)."""
        if route.is_api:
            body = data or {} if method in ("post", "put", "patch") else None
            return getattr(api, method)(path, body, format="json")
        return getattr(html, method)(path, data or {} if method == "post" else None)

    return request


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return HIDDEN.sub(b"", CSRF.sub(b"CSRF", response.content))


def _snapshot() -> dict[str, list[dict]]:
    """Every row of every table, but sessions and when a token was last used."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model is Session:
            continue
        values = list(model.objects.order_by("pk").values())
        if model is ApiToken:
            for row in values:
                row.pop("last_used_at")
        rows[model._meta.label] = values
    return rows


# --- The routes -----------------------------------------------------------------------


def test_every_route_is_classified(db, organisation_keys):
    problems = [
        f"{route.pattern}: no key for {noun!r} (add it to tests/world.py, "
        "or to PEOPLE or EXEMPT here, saying why)"
        for route in _walked()
        for noun, _ in route.keys
        if noun not in organisation_keys and noun not in PEOPLE
    ]
    problems += [
        f"{route.pattern}: a regular-expression route outside EXEMPT"
        for route in _walked()
        if route.regex
    ]
    patterns = [route.pattern for route in routes()]
    problems += [
        f"EXEMPT names {prefix!r}, which no route has any more"
        for prefix in EXEMPT
        if not any(pattern.startswith(prefix) for pattern in patterns)
    ]
    problems += [
        f"MEMBERS_ONLY_READS names {pattern!r}, which no route has any more"
        for pattern in MEMBERS_ONLY_READS
        if pattern not in patterns
    ]
    assert problems == []
    assert len([route for route in _walked() if _keyed(route)]) > 80


def _lists(as_carol) -> dict[str, tuple[int, bytes]]:
    """Every list, search, report and export, and every person's page, as carol
    sees it: with each search and filter variant where it answers at all."""
    seen = {}
    for route in _walked():
        if _keyed(route):
            continue
        path = _path(route, PEOPLE)
        for variant in VARIANTS:
            response = as_carol(route, "get", path + variant)
            seen[path + variant] = (response.status_code, _body(response))
            if response.status_code != 200 or route.pattern in DOCUMENTATION:
                break
    return seen


def test_outsider_sees_nothing_of_a_private_team_in_any_list(
    organisation_keys, as_carol, alice, bob, carol
):
    before = _lists(as_carol)
    keys, names = _private_world(alice, bob, carol)
    after = _lists(as_carol)
    private_paths = {
        _path(route, keys).encode() for route in _walked() if _keyed(route)
    }
    assert after.keys() == before.keys()
    leaks = []
    for path, (status, body) in after.items():
        assert status < 500, path
        if (status, body) != before[path]:
            leaks.append(f"{path}: {status} differs from before the private team")
        found = [name for name in names if name.encode() in body]
        found += [p.decode() for p in private_paths if p in body]
        if found and "?product=" not in path:  # that one echoes what it was sent
            leaks.append(f"{path}: shows {found}")
    assert leaks == [], "\n".join(leaks)
    assert sum(status == 200 for status, _ in after.values()) > 60


def test_outsider_gets_404_on_every_route_of_a_private_team(private_keys, as_carol):
    before = _snapshot()
    wrong = []
    for route in _walked():
        if not _keyed(route):
            continue
        path = _path(route, private_keys)
        methods = HTTP_METHODS if route.is_api else ("get", "post")
        answers = {m: as_carol(route, m, path).status_code for m in methods}
        if set(answers.values()) - {404, 405} or 404 not in answers.values():
            wrong.append(f"{path}: {answers}")
    assert wrong == [], "\n".join(wrong)
    assert _snapshot() == before


def _organisation_expected(route: Route, method: str) -> set[int]:
    """What carol gets on an organisation team's object."""
    if any(noun in OWN_ONLY for noun, _ in route.keys):
        return {404, 405}  # someone else's notification or token
    if method != "get" and route.pattern in READER_WRITES:
        return {400}
    if method != "get":
        return {403, 405}
    if route.pattern in MEMBERS_ONLY_READS or WRITE_PAGE.search(route.name or ""):
        return {403, 405}
    return {200, 405}


def test_outsider_reads_an_organisation_team_and_may_not_write(
    organisation_keys, as_carol
):
    before = _snapshot()
    wrong, read = [], 0
    for route in _walked():
        if not _keyed(route):
            continue
        path = _path(route, organisation_keys)
        for method in route.methods if route.is_api else ("get", "post"):
            status = as_carol(route, method, path).status_code
            read += method == "get" and status == 200
            if status not in _organisation_expected(route, method):
                wrong.append(f"{method.upper()} {path}: {status}")
    assert wrong == [], "\n".join(wrong)
    assert read > 30
    assert _snapshot() == before


# --- Input that names a private team's objects ----------------------------------------

UNKNOWN_SLUG, UNKNOWN_ID = "no-such-thing", 987654321


def _references(private: dict, organisation: dict) -> list[tuple[str, dict, str]]:
    """(API list, body naming `key`, key): creations that point at a private
    object, beside the same body naming one that does not exist."""
    incident = {"title": "t", "severity": "sev3"}
    action = {"description": "d", "kind": "detect"}
    return [
        ("/api/v1/products/", {"name": "n", "slug": "n"}, "team", private["teams"]),
        ("/api/v1/incidents/", incident, "product", private["products"]),
        (
            "/api/v1/integrations/",
            {"name": "n", "kind": "alertmanager"},
            "product",
            private["products"],
        ),
        (
            "/api/v1/postmortems/",
            {"title": "t", "incidents": [organisation["incidents"]]},
            "product",
            private["products"],
        ),
        (
            "/api/v1/postmortems/",
            {"title": "t", "product": organisation["products"]},
            "incidents",
            [private["incidents"]],
        ),
        ("/api/v1/action-items/", action, "postmortem", private["postmortems"]),
        ("/api/v1/action-items/", action, "session", private["sessions"]),
    ]


def test_input_naming_a_private_object_reads_as_naming_none(
    private_keys, organisation_keys, as_carol
):
    """The answer to a creation naming a private object is the answer to one
    naming an object that does not exist (400, same message), and nothing is
    written."""
    before = _snapshot()
    api = next(route for route in routes() if route.is_api)
    for path, body, field, key in _references(private_keys, organisation_keys):
        unknown = UNKNOWN_ID if isinstance(key, int) else UNKNOWN_SLUG
        if isinstance(key, list):
            unknown = [UNKNOWN_ID]
        given = as_carol(api, "post", path, {**body, field: key})
        made_up = as_carol(api, "post", path, {**body, field: unknown})
        assert given.status_code == made_up.status_code == 400, (path, field)
        text = given.content.decode().replace(str(key).strip("[]"), "KEY")
        assert text == made_up.content.decode().replace(
            str(unknown).strip("[]"), "KEY"
        ), (path, field)
    assert _snapshot() == before
