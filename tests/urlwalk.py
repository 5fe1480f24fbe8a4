"""Every URL pattern in the URLconf, as concrete URLs a test can request.

`routes()` walks the whole resolver tree (includes, namespaces, the admin's
generated patterns, regex patterns) and returns one `Route` per pattern, so a
test built on it covers URLs added later without being told about them.

`Route.url(values)` fills the path parameters. A value is looked up first as
"<segment>/<parameter>" (the literal path segment before the parameter, e.g.
"metrics/pk" for `metrics/<int:pk>/`), then by the parameter's name alone; a
parameter nothing covers raises MissingParameter naming the route, so a new kind
of parameter fails loudly until the dataset knows it. Every URL built is resolved
back and must reach the route it was built for.

`walk_values(product=…, actor=…)` makes one object of every kind a URL names,
belonging to `product`, and returns the values for them: the dataset for tests
that request every URL (anonymous access here; the team/outsider matrix too).
"""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
# Named groups without nested groups: all the regex patterns Django's admin and
# our URLconf use.
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*\)")
_REGEX_LEFTOVER = re.compile(r"[\\()\[\]*+?{}|^$]")


HTTP_METHODS = ("get", "post", "put", "patch", "delete")


class MissingParameter(LookupError):
    """A route has a path parameter the values do not cover."""


@dataclass(frozen=True)
class Route:
    """One URL pattern with the patterns (prefixes) that include it."""

    name: str  # "namespace:name", or "" for unnamed patterns
    pieces: tuple[RoutePattern | RegexPattern, ...] = field(repr=False)
    callback: Callable = field(repr=False, compare=False)

    @property
    def pattern(self) -> str:
        """As written, e.g. "products/<slug:slug>/metrics/<int:pk>/"."""
        return "".join(str(piece) for piece in self.pieces)

    @property
    def label(self) -> str:
        return self.name or self.pattern

    @property
    def regex(self) -> bool:
        """Built with re_path (the admin's): filled by `url()`, not `path()`."""
        return any(isinstance(piece, RegexPattern) for piece in self.pieces)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(m["name"] for m in _ROUTE_PARAMETER.finditer(self.pattern))

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        """Each parameter with the path segment before it, which says what it
        names: ("metrics", "pk") is a metric's id."""
        return tuple(
            (_last_segment(self.pattern[: m.start()]), m["name"])
            for m in _ROUTE_PARAMETER.finditer(self.pattern)
        )

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None) or getattr(
            self.callback, "view_class", None
        )

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods a class-based view handles; every method for a function
        view (its decorators answer 405 to the rest)."""
        cls = self.view_class
        if cls is None:
            return HTTP_METHODS
        return tuple(m for m in HTTP_METHODS if hasattr(cls, m))

    def path(self, **values: object) -> str:
        """The URL with each parameter given by name (route patterns only)."""
        missing = set(self.params) - set(values)
        if missing:
            raise KeyError(f"{self.pattern}: no value for {sorted(missing)}")
        return "/" + _ROUTE_PARAMETER.sub(
            lambda m: str(values[m["name"]]), self.pattern
        )

    def url(self, values: Mapping[str, Any]) -> str:
        written, path = "", "/"
        for piece in self.pieces:
            raw, parameter = _source(self, piece)
            end = 0
            for match in parameter.finditer(raw):
                segment = _last_segment(written + raw[: match.start()])
                path += raw[end : match.start()]
                path += _value(self, segment, match["name"], values)
                end = match.end()
            path += raw[end:]
            written += raw
        reached = resolve(path).func
        if reached is not self.callback:
            raise AssertionError(
                f"{path} was built for {self.label}, reaches {reached}"
            )
        return path


def _source(route: Route, piece: Any) -> tuple[str, re.Pattern]:
    """The piece's text and the expression finding its parameters."""
    if not isinstance(piece, RegexPattern):
        return str(piece), _ROUTE_PARAMETER
    raw = str(piece).removeprefix("^").removesuffix("$").replace("\\/", "/")
    if _REGEX_LEFTOVER.search(_REGEX_GROUP.sub("", raw)):
        raise AssertionError(f"{route.label}: cannot build a URL from {raw!r}")
    return raw, _REGEX_GROUP


def _last_segment(text: str) -> str:
    segments = [segment for segment in text.split("/") if segment]
    return segments[-1] if segments else ""


def _value(route: Route, segment: str, name: str, values: Mapping[str, Any]) -> str:
    for key in (f"{segment}/{name}", segment, name):
        if key in values:
            return str(values[key])
    raise MissingParameter(
        f"{route.label}: no value for <{name}> after {segment!r}; add "
        f"'{segment}' to tests/world.py, or '{segment}/{name}' or '{name}' to "
        "walk_values (tests/urlwalk.py)"
    )


def routes() -> list[Route]:
    """Every pattern of the root URLconf, in resolution order."""
    return list(_walk(get_resolver().url_patterns, (), ""))


def _walk(patterns, prefix: tuple, namespace: str) -> Iterator[Route]:
    for entry in patterns:
        pieces = (*prefix, entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = (
                    f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                )
            yield from _walk(entry.url_patterns, pieces, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(name=name, pieces=pieces, callback=entry.callback)


# --- A dataset covering every parameter --------------------------------------------


def walk_values(*, product, actor) -> dict[str, Any]:
    """One object of each kind a URL names, all of `product` (whose team `actor`
    should be in; tests/world.py makes them through the services); returns the
    values `Route.url` needs: by the path segment before a parameter (world's
    keys), by segment and parameter, or by parameter alone."""
    from tests.world import one_of_everything

    keys, _ = one_of_everything(product, author=actor, owner=actor, notified=actor)
    return {
        **keys,
        "alerts/integration_id": keys["integrations"],
        "github/connection_id": keys["connections"],
        "people/username": actor.username,
        # The admin's: any object will do (it checks staff status first).
        "object_id": product.pk,
        "id": actor.pk,
        "content_type_id": ContentType.objects.get_for_model(type(product)).pk,
        "app_label": "products",
        "url": "no-such-admin-page/",
    }
