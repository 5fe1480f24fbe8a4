"""The alert webhook: `POST /hooks/alerts/<integration id>/`.

A plain Django view rather than DRF: it must read the raw body exactly (HMAC
signatures cover the bytes sent) and stay cheap under bursts of deliveries.
Order matters: the size is checked before the body is read, the bearer secret
before the body is read, the signature before it is parsed.

Accept, then process: a delivery that passes the checks is stored as one row
and answered 202 at once; a task ingests its alerts (tasks.delivery_ingest,
with the minutely sweep as the safety net when the broker is down). A refused
delivery is answered 4xx and recorded with its reason on the integration, so
a team can see why alerts did not arrive; nothing else is written.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from tracker.incidents import selectors, signing, tasks
from tracker.incidents.alerts import AlertPayloadError
from tracker.incidents.models import AlertIntegration
from tracker.incidents.services import ingest
from tracker.lib.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)


def _error(status: int, reason: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": reason}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _refused(
    integration: AlertIntegration,
    status: int,
    reason: str,
    body: bytes = b"",
    **headers: str,
) -> JsonResponse:
    logger.warning(
        "Alert delivery refused for integration %s: %s", integration.pk, reason
    )
    ingest.delivery_refuse(
        integration=integration, reason=reason, http_status=status, body=body
    )
    return _error(status, reason, **headers)


def _unauthorized(integration: AlertIntegration, reason: str) -> JsonResponse:
    return _refused(
        integration, 401, reason, **{"WWW-Authenticate": 'Bearer realm="alerts"'}
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _signature_ok(
    integration: AlertIntegration, request: HttpRequest, body: bytes
) -> bool:
    return signing.signature_valid(
        key=integration.hmac_secret,
        body=body,
        signature=request.headers.get(signing.SIGNATURE_HEADER, ""),
        timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
    )


@csrf_exempt
@sensitive_variables("token", "secret", "key")  # here and in what it calls
def alerts_receive(request: HttpRequest, integration_id: int) -> JsonResponse:
    if request.method != "POST":
        return _error(405, "Send alerts with POST.", Allow="POST")
    integration = selectors.integration_for_delivery(pk=integration_id)
    if integration is None:
        return _error(404, "No such alert integration.")
    limit = settings.ALERT_WEBHOOK_MAX_BYTES
    too_large = f"The body is larger than {limit} bytes."
    if _declared_length(request) > limit:
        return _refused(integration, 413, too_large)
    token = signing.bearer_token(request.headers.get("Authorization", ""))
    if token is not None and not signing.secret_matches(token, integration.secret_hash):
        return _unauthorized(integration, "The bearer secret is wrong.")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refused(integration, 413, too_large)
    if token is None and not _signature_ok(integration, request, body):
        reason = (
            "The signature is missing, wrong or stale."
            if integration.hmac_secret
            else "Send the integration's secret as `Authorization: Bearer <secret>`."
        )
        return _unauthorized(integration, reason)
    try:
        delivery = ingest.delivery_accept(integration=integration, body=body)
    except AlertPayloadError as exc:
        return _refused(integration, 400, str(exc), body=body)
    enqueue_on_commit(tasks.delivery_ingest, delivery.pk)
    return JsonResponse(
        {"delivery": delivery.pk, "alerts": delivery.alerts, "state": delivery.state},
        status=202,
    )
