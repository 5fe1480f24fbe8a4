"""REST API for follow-up policies and their violations under /api/v1/
(routes in api_urls.py). Everyone signed in reads the policies (they are the
organisation's rules); staff write them. Violations are those of the products
the requester may read."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.incidents.models import Severity
from tracker.lib.api import ApiView, StrictInputMixin
from tracker.postmortems.models import FollowUpPolicy
from tracker.postmortems.selectors.policies import policy_list, violations
from tracker.postmortems.services.policies import POLICY_FIELDS, policy_create
from tracker.products.models import RiskTier

DAYS = {"min_value": 0, "max_value": 3650, "required": False, "allow_null": True}


class PolicyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    severity = serializers.CharField()
    risk_tier = serializers.CharField()
    postmortem_business_days = serializers.IntegerField(allow_null=True)
    prevent_days = serializers.IntegerField(allow_null=True)
    detect_days = serializers.IntegerField(allow_null=True)
    mitigate_days = serializers.IntegerField(allow_null=True)
    process_days = serializers.IntegerField(allow_null=True)


class PolicyInput(StrictInputMixin, serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    risk_tier = serializers.ChoiceField(
        choices=RiskTier.choices, required=False, allow_blank=True
    )
    postmortem_business_days = serializers.IntegerField(**DAYS)
    prevent_days = serializers.IntegerField(**DAYS)
    detect_days = serializers.IntegerField(**DAYS)
    mitigate_days = serializers.IntegerField(**DAYS)
    process_days = serializers.IntegerField(**DAYS)


class ViolationOutput(serializers.Serializer):
    object_type = serializers.CharField(help_text="postmortem or action_item")
    object_id = serializers.IntegerField()
    title = serializers.CharField()
    product = serializers.CharField(source="product_slug")
    severity = serializers.CharField()
    policy = PolicyOutput()
    deadline = serializers.DateTimeField()
    late_by_seconds = serializers.SerializerMethodField()
    late_by_days = serializers.IntegerField(source="late_days")
    html_url = serializers.SerializerMethodField()

    def get_late_by_seconds(self, violation) -> int:
        return int(violation.late_by.total_seconds())

    def get_html_url(self, violation) -> str:
        return self.context["request"].build_absolute_uri(violation.url)


class PolicyListCreateApi(ApiView):
    """GET: the follow-up policies. POST (staff): a policy for a severity and,
    optionally, a risk tier (one per pair: a second is a 400)."""

    queryset = FollowUpPolicy.objects.none()

    @extend_schema(responses=PolicyOutput(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated(PolicyOutput, policy_list())

    @extend_schema(request=PolicyInput, responses={201: PolicyOutput})
    def post(self, request: Request) -> Response:
        data = self.validated(PolicyInput)
        policy = policy_create(
            actor=request.user, data={k: data[k] for k in POLICY_FIELDS if k in data}
        )
        return self.output(PolicyOutput, policy, status=201)


class ViolationListApi(ApiView):
    """GET: objects late against their policy, the latest first: each names the
    object, the policy and how late it is."""

    queryset = FollowUpPolicy.objects.none()

    @extend_schema(responses=ViolationOutput(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated(ViolationOutput, violations(user=request.user))
