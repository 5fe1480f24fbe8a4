"""Every route of the URLconf, for tests that walk them all (the outsider
matrix in tests/security): derived from the resolver, so a route added later is
walked too, and a test that classifies routes fails until it is classified.

    for route in routes():
        route.pattern     # "products/<slug:slug>/metrics/<int:pk>/"
        route.params      # ("slug", "pk")
        route.keys        # (("products", "slug"), ("metrics", "pk"))
        route.path(slug="fraud-score", pk=3)  # "/products/fraud-score/metrics/3/"
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# <int:pk>, <slug>: a converter (optional) and a name.
_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    pattern: str  # the full route, without the leading slash
    name: str | None  # "namespace:name" when the route has one
    callback: Callable
    regex: bool  # a re_path (the admin's): not fillable by name

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(m["name"] for m in _PARAM.finditer(self.pattern))

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        """Each parameter with the path segment before it, which says what it
        names: ("metrics", "pk") is a metric's id."""
        found = []
        for match in _PARAM.finditer(self.pattern):
            noun = self.pattern[: match.start()].rstrip("/").split("/")[-1]
            found.append((noun, match["name"]))
        return tuple(found)

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
        view (its decorators answer 405 to the rest, which the caller accepts)."""
        cls = self.view_class
        if cls is None:
            return HTTP_METHODS
        return tuple(m for m in HTTP_METHODS if hasattr(cls, m))

    def path(self, **values: object) -> str:
        missing = set(self.params) - set(values)
        if missing:
            raise KeyError(f"{self.pattern}: no value for {sorted(missing)}")
        return "/" + _PARAM.sub(lambda m: str(values[m["name"]]), self.pattern)


def _walk(patterns, prefix: str, namespace: str, regex: bool) -> Iterator[Route]:
    for entry in patterns:
        text = str(entry.pattern)
        is_regex = regex or entry.pattern.__class__.__name__ == "RegexPattern"
        if is_regex:
            text = text.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry.url_patterns, prefix + text, inner, is_regex)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else None
            yield Route(
                pattern=prefix + text,
                name=name or entry.name,
                callback=entry.callback,
                regex=is_regex,
            )


def routes(urlconf: str | None = None) -> list[Route]:
    """Every route of the URLconf, in the order Django tries them."""
    return list(_walk(get_resolver(urlconf).url_patterns, "", "", False))
