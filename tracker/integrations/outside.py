"""Calls to outside systems (Prometheus, GitHub, chat and webhook receivers):
one place that sets the timeouts and turns every way a call can fail into an
`OutsideError` with a message fit for the connection's page. Only tasks call
these; never a web request."""

from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

USER_AGENT = "ml-product-tracker"


class OutsideError(Exception):
    """A call that failed: unreachable, timed out, or an unexpected answer.
    `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message[:500])
        self.status = status


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return requests.models.complexjson.loads(self.body)
        except ValueError:
            raise OutsideError("The answer is not JSON.", self.status) from None


def _timeout() -> tuple[float, float]:
    """(connect, read) seconds: settings.OUTSIDE_TIMEOUT_SECONDS for both."""
    seconds = float(getattr(settings, "OUTSIDE_TIMEOUT_SECONDS", 10))
    return seconds, seconds


def call(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    body: bytes | None = None,
    ok: tuple[int, ...] = (200, 201, 202, 204),
) -> Answer:
    """One HTTP request with timeouts; OutsideError unless the status is in `ok`.
    Redirects are not followed: a webhook URL that moved must be updated."""
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        response = requests.request(
            method,
            url,
            headers=headers,
            params=params,
            data=body,
            timeout=_timeout(),
            allow_redirects=False,
        )
    except requests.Timeout:
        raise OutsideError(f"No answer from {_host(url)} in time.") from None
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise OutsideError(f"Cannot reach {_host(url)} ({reason}).") from None
    answer = Answer(response.status_code, response.content[:1_000_000])
    if response.status_code not in ok:
        text = response.text[:200].strip()
        raise OutsideError(
            f"{_host(url)} answered {response.status_code}: {text}",
            response.status_code,
        )
    return answer


def _host(url: str) -> str:
    return requests.utils.urlparse(url).netloc or url
