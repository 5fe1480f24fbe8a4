"""Who is acting, and how: the audit trail's view of the current request, task
or command.

Set by tracker.audit.middleware for every HTTP request (the person is read from
`request.user` when something is recorded, so the API's token authentication,
which runs inside the view, is seen too), by the alert receiver, around every
Celery task, and by code that writes on nobody's behalf:

    from tracker.audit.context import acting
    with acting(via="import", label="import of fraud-score.json"):
        ...

Outside all of these, writes are recorded as "command line".
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from tracker.audit.choices import Via


@dataclass(frozen=True)
class Who:
    actor_id: int | None
    label: str
    via: str


@dataclass
class Acting:
    """The source of the next audit events.

    `actor` is a person (or a CI token's principal); with `request`, the person
    is `request.user` at the time of recording.
    """

    via: str
    actor: Any = None
    label: str = ""
    request: HttpRequest | None = None

    def who(self) -> Who:
        actor = self.actor
        if self.request is not None:
            actor = getattr(self.request, "user", None)
        token = getattr(actor, "token", None)
        if token is not None:  # a product CI token (accounts.models.CIPrincipal)
            product = token.product.slug if token.product_id else "no product"
            return Who(None, f"CI token “{token.name}” for {product}", Via.CI)
        if actor is not None and getattr(actor, "is_authenticated", False):
            return Who(actor.pk, self.label or person_label(actor), self.via)
        return Who(None, self.label or "anonymous", self.via)


def person_label(user: Any) -> str:
    """ "Alice Smith (alice)": the display name and the username, which stays
    unique when two people share a name."""
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


_DEFAULT = Acting(via=Via.COMMAND, label="command line")
_current: ContextVar[Acting] = ContextVar("audit_acting", default=_DEFAULT)


def current() -> Acting:
    return _current.get()


def begin(acting_now: Acting) -> Token:
    """Make `acting_now` current; pass the token to end() when done."""
    return _current.set(acting_now)


def end(token: Token) -> None:
    _current.reset(token)


@contextmanager
def acting(
    *, actor: Any = None, via: str = Via.IMPORT, label: str = ""
) -> Iterator[Acting]:
    """Record the writes inside the block as made by `actor` (a person, or None)
    through `via`; `label` names a source that is not a person ("import of
    products.json", "nightly sync")."""
    if via not in Via.values:
        raise ValueError(f"Unknown audit source {via!r}; one of {Via.values}.")
    now = Acting(via=via, actor=actor, label=label)
    token = begin(now)
    try:
        yield now
    finally:
        end(token)


# --- Celery: every task runs as "system task <name>" -------------------------------

_task_tokens: dict[str, Token] = {}


def _task_started(task_id: str | None = None, task: Any = None, **kwargs) -> None:
    name = getattr(task, "name", "") or "task"
    label = f"system task {name.rsplit('.', 1)[-1]}"
    _task_tokens[task_id or ""] = begin(Acting(via=Via.TASK, label=label))


def _task_finished(task_id: str | None = None, **kwargs) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        end(token)


def connect_celery() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="audit")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="audit")
