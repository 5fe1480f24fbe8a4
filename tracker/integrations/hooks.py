"""`POST /hooks/github/<connection id>/`: GitHub's `issues` webhook. Not a
person's request: authenticated by the `X-Hub-Signature-256` HMAC under the
connection's webhook secret (401 and nothing changed without a valid one)."""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from tracker.integrations import selectors
from tracker.integrations.services import github

MAX_BYTES = 5 * 1024 * 1024  # GitHub caps payloads at 25 MB; issues are small


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@sensitive_variables("connection")
def github_receive(request: HttpRequest, connection_id: int) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "GitHub posts its webhooks.")
        response["Allow"] = "POST"
        return response
    connection = selectors.connection_for_hook(pk=connection_id)
    if connection is None:
        return _error(404, "No such GitHub connection.")
    body = request.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        return _error(413, "The body is too large.")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not github.signature_valid(connection=connection, body=body, header=signature):
        return _error(401, "The X-Hub-Signature-256 signature is missing or wrong.")
    event = request.headers.get("X-GitHub-Event", "")
    if event == "ping":
        return JsonResponse({"result": "pong"})
    if event != "issues":
        return JsonResponse({"result": f"ignored: {event or 'no'} event"}, status=202)
    try:
        payload = json.loads(body)
    except ValueError:
        return _error(400, "The body is not JSON.")
    if not isinstance(payload, dict):
        return _error(400, "The body is not a JSON object.")
    result = github.issue_event_apply(connection=connection, payload=payload)
    return JsonResponse({"result": result})
