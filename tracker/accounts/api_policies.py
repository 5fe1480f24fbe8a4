"""The API's default permission (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES):
people pass, a product CI token only where a view lets it.

DRF imports this while it defines its own view classes, so this module must not
import rest_framework.views or generics (nor tracker.lib.api, which does).
"""

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from tracker.accounts.models import CIPrincipal

CI_SCOPE_MESSAGE = (
    "A CI token may only post CI status, measurements and SLA checks for its "
    "own product."
)


class IsPersonOrScopedToken(permissions.BasePermission):
    """Signed-in people pass (object checks happen in the selectors); a product CI
    token passes only the methods a view lists in `ci_token_methods`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if isinstance(request.user, CIPrincipal):
            if request.method in getattr(view, "ci_token_methods", ()):
                return True
            raise exceptions.PermissionDenied(CI_SCOPE_MESSAGE)
        return True
