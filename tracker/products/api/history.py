"""A product's history over the API: everything the audit trail recorded about
it and what belongs to it, for those who may read the product."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.audit import selectors as audit_selectors
from tracker.audit.api import AuditEventOut
from tracker.audit.filters import AuditEventFilter
from tracker.audit.models import AuditEvent
from tracker.lib.api import ApiView
from tracker.products.selectors import product_get_for_user


class ProductHistoryView(ApiView):
    """Everything recorded about the product and what belongs to it, deleted
    objects included, newest first. Nobody can change it."""

    queryset = AuditEvent.objects.none()
    filterset_class = AuditEventFilter

    @extend_schema(responses=AuditEventOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        events = audit_selectors.product_history(product_id=product.pk)
        return self.paginated(
            AuditEventOut, self.filter_queryset(events.select_related("actor"))
        )
