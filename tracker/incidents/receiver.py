"""The alert webhook: `POST /hooks/alerts/<integration id>/`.

A plain Django view rather than DRF: it must read the raw body exactly (HMAC
signatures cover the bytes sent) and stay cheap under bursts of deliveries.
Order matters: the size is checked before the body is read, the bearer secret
before the body is read, the signature before it is parsed; a rejected delivery
writes nothing.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.incidents import selectors, services, signing
from tracker.incidents.alerts import AlertPayloadError
from tracker.incidents.models import AlertIntegration

logger = logging.getLogger(__name__)


def _error(status: int, reason: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": reason}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _unauthorized(reason: str, integration_id: int) -> JsonResponse:
    logger.warning(
        "Alert delivery refused for integration %s: %s", integration_id, reason
    )
    return _error(401, reason, **{"WWW-Authenticate": 'Bearer realm="alerts"'})


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
    if _declared_length(request) > limit:
        return _error(413, f"The body is larger than {limit} bytes.")
    token = signing.bearer_token(request.headers.get("Authorization", ""))
    if token is not None and not signing.secret_matches(token, integration.secret_hash):
        return _unauthorized("The bearer secret is wrong.", integration_id)
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, f"The body is larger than {limit} bytes.")
    if token is None and not _signature_ok(integration, request, body):
        reason = (
            "The signature is missing, wrong or stale."
            if integration.hmac_secret
            else "Send the integration's secret as `Authorization: Bearer <secret>`."
        )
        return _unauthorized(reason, integration_id)
    label = f"alert integration “{integration.name}”"
    try:
        with acting(via=Via.ALERT, label=label):
            delivery = services.alerts_ingest(integration=integration, body=body)
    except AlertPayloadError as exc:
        return _error(400, str(exc))
    return JsonResponse(
        {
            "delivery": delivery.pk,
            "alerts": delivery.alerts,
            "opened": delivery.opened,
            "updated": delivery.updated,
            "resolved": delivery.resolved,
            "unchanged": delivery.unchanged,
            "truncated_alerts": delivery.truncated_alerts,
        }
    )
