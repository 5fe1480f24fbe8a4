"""The SLA-check endpoint (mounted under /api/v1/). A check is recorded through
the products' service and its breach incident kept in step (sla_check_submit),
so this endpoint belongs to the incidents app, which owns that reaction."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor, request_source
from tracker.incidents.services.sla import sla_check_submit
from tracker.lib.api import ApiView
from tracker.products.api.slas import SLACheckIn, SLACheckOut
from tracker.products.filters import SLACheckFilter
from tracker.products.models import SLACheck
from tracker.products.selectors import sla_get_for_user


class SLACheckListView(ApiView):
    """An SLA's checks, newest first. Product CI tokens may post here."""

    queryset = SLACheck.objects.none()
    filterset_class = SLACheckFilter
    ci_token_methods = {"POST"}

    @extend_schema(responses=SLACheckOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        sla = sla_get_for_user(user=request.user, pk=pk)
        checks = self.filter_queryset(sla.checks.select_related("recorded_by"))
        return self.paginated(SLACheckOut, checks)

    @extend_schema(request=SLACheckIn, responses={201: SLACheckOut})
    def post(self, request: Request, pk: int) -> Response:
        sla = sla_get_for_user(user=request.user, pk=pk, for_edit=True)
        check = sla_check_submit(
            sla=sla,
            actor=request_actor(request),
            source=request_source(request),
            **self.validated(SLACheckIn),
        )
        return self.output(SLACheckOut, check, status=201)
