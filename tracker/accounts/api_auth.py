"""Who is asking, for the /api/v1 views of every app: the person behind a request
(or none, for a product CI token), how the request arrived, and people as
serializer fields (written and shown by username)."""

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from tracker.accounts.models import CIPrincipal, User
from tracker.lib.api import SlugRelatedField


def request_actor(request: Request) -> User | None:
    """The person behind a request; None for a CI token (not a person)."""
    return request.user if isinstance(request.user, User) else None


def request_source(request: Request) -> str:
    """How a measurement or check arrived: "ci" for CI tokens, else "api"."""
    return "ci" if isinstance(request.user, CIPrincipal) else "api"


def username_field(**kwargs: Any) -> serializers.SlugRelatedField:
    """A person, written and shown as their username."""
    if not kwargs.get("read_only"):
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        kwargs.setdefault(
            "error_messages", {"does_not_exist": "No active user {value}."}
        )
    return SlugRelatedField(slug_field="username", **kwargs)
