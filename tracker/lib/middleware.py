"""Response headers every page carries."""

from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)

# Everything is served from our own origin (vendored JS/CSS, inline SVG charts);
# nothing inline runs as script. Swagger UI/Redoc pages are the only exception and
# set their own header in the view that serves them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Swagger UI (/api/v1/docs/, vendored by drf-spectacular-sidecar) runs from files on
# our origin but sets inline styles, and shows images from data: URLs.
SWAGGER_UI_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


# No page needs a device or a powerful browser feature; denying them means an
# injected script could not ask for them either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class ContentSecurityPolicyMiddleware:
    """The CSP (a view may set its own) and the Permissions-Policy. The other
    security headers come from Django's SecurityMiddleware and settings."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RejectNulInQueryMiddleware:
    """400 for a NUL character in the query string.

    PostgreSQL cannot hold NUL in text, so a filter like `?product=%00` would fail
    deep in a query as a server error; no legitimate link carries one. (Form
    fields refuse NUL themselves, and the API's parsers do for JSON bodies.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            message = "Request parameters may not contain NUL characters."
            if request.path.startswith("/api/"):  # the API's one error shape
                error = {"code": "invalid", "message": message, "fields": {}}
                return JsonResponse({"error": error}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain")
        return self.get_response(request)
