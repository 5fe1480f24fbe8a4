"""API views for accounts: signing in for a token, person tokens, teams (created
by staff), their visibility, members and roles. The token serializers serve a
product's CI tokens too (tracker.products.api.tokens)."""

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts import selectors, services
from tracker.accounts.api_auth import username_field
from tracker.accounts.authentication import BearerTokenAuthentication
from tracker.accounts.filters import TeamFilter
from tracker.accounts.login_throttle import LoginThrottled
from tracker.accounts.models import ApiToken, Membership, Role, Team, User
from tracker.lib.api import (
    ApiView,
    HtmlUrlField,
    ModelSerializer,
    StrictInputMixin,
    slug_of,
)

# --- Serializers ----------------------------------------------------------------


class TokenOut(ModelSerializer):
    """A token without its secret (which is shown once, at creation)."""

    prefix = serializers.SerializerMethodField(help_text="Identifies the token.")
    product = slug_of()
    created_by = username_field(source="user", read_only=True)
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "kind",
            "prefix",
            "product",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "html_url",
        ]

    def get_prefix(self, token: ApiToken) -> str:
        return f"trk_{token.lookup}"

    def get_html_url(self, token: ApiToken) -> str | None:
        """The product's page for a CI token; person tokens have no page."""
        if token.product is None:
            return None
        return self.context["request"].build_absolute_uri(
            token.product.get_absolute_url()
        )


class TokenCreatedOut(TokenOut):
    token = serializers.SerializerMethodField(
        help_text="The secret: store it now, it is not shown again."
    )

    class Meta(TokenOut.Meta):
        fields = ["token", *TokenOut.Meta.fields]

    def get_token(self, token: ApiToken) -> str:
        return self.context["raw"]


class TokenIn(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class SignInIn(StrictInputMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(max_length=100, default="API token")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class TeamOut(ModelSerializer):
    members = username_field(many=True, read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = Team
        fields = [
            "name",
            "slug",
            "description",
            "visibility",
            "members",
            "created_at",
            "html_url",
        ]


class TeamIn(StrictInputMixin, ModelSerializer):
    class Meta:
        model = Team
        fields = services.TEAM_FIELDS


class TeamCreateIn(StrictInputMixin, serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = services.TEAM_CREATE_FIELDS


class MemberOut(serializers.ModelSerializer):
    username = username_field(source="user", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "role", "joined_at"]


class MemberIn(StrictInputMixin, serializers.Serializer):
    username = username_field()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


def token_created(view: ApiView, token: ApiToken, raw: str) -> Response:
    context = {**view.get_serializer_context(), "raw": raw}
    return Response(TokenCreatedOut(token, context=context).data, status=201)


# --- Tokens ---------------------------------------------------------------------


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenObtainView(ApiView):
    """Exchange a username and password for a new person token. Throttled per
    username and client address like every sign-in (accounts.login_throttle)."""

    # Bearer only (no session, so no CSRF): a failed sign-in is 401, as elsewhere.
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [permissions.AllowAny]
    throttle_scope = "auth"

    @extend_schema(request=SignInIn, responses={201: TokenCreatedOut}, auth=[])
    @sensitive_variables("data")
    def post(self, request: Request) -> Response:
        data = self.validated(SignInIn)
        try:
            user = authenticate(
                request._request,
                username=data["username"],
                password=data["password"],
            )
        except LoginThrottled as exc:
            refusal = exceptions.Throttled(detail=str(exc))
            refusal.wait = exc.wait_seconds  # Retry-After, without DRF's suffix
            raise refusal from None
        if user is None:
            raise exceptions.AuthenticationFailed("Wrong username or password.")
        token, raw = services.token_create(
            user=user, name=data["name"], expires_at=data.get("expires_at")
        )
        return token_created(self, token, raw)


class PersonTokenListView(ApiView):
    """The signed-in person's active tokens (never their secrets)."""

    queryset = ApiToken.objects.none()

    @extend_schema(responses=TokenOut(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated(
            TokenOut, selectors.token_list_for_user(user=request.user)
        )


class PersonTokenDetailView(ApiView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        tokens = selectors.token_list_for_user(user=request.user)
        services.token_revoke(token=selectors.token_get(tokens=tokens, pk=pk))
        return Response(status=204)


# --- Teams ------------------------------------------------------------------------


class TeamListView(ApiView):
    filterset_class = TeamFilter

    def get_queryset(self):
        return selectors.team_list(user=self.request.user)

    @extend_schema(responses=TeamOut(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated(TeamOut, self.filter_queryset(self.get_queryset()))

    @extend_schema(request=TeamCreateIn, responses={201: TeamOut})
    def post(self, request: Request) -> Response:
        """Create a team (staff only); add its members with .../members/."""
        if not selectors.user_can_create_team(request.user):
            raise PermissionDenied("Only staff create teams.")
        team = services.team_create(data=self.validated(TeamCreateIn))
        team = selectors.team_get(user=request.user, slug=team.slug)
        return self.output(TeamOut, team, status=201)


class TeamDetailView(ApiView):
    @extend_schema(responses=TeamOut)
    def get(self, request: Request, slug: str) -> Response:
        return self.output(TeamOut, selectors.team_get(user=request.user, slug=slug))

    @extend_schema(request=TeamIn, responses=TeamOut)
    def patch(self, request: Request, slug: str) -> Response:
        """Set `visibility` (organisation or private): the team's members and
        staff may."""
        team = selectors.team_get(user=request.user, slug=slug)
        if not selectors.user_can_manage_team(request.user, team):
            raise PermissionDenied("Only the team's members can change the team.")
        services.team_update(team=team, data=self.validated(TeamIn, instance=team))
        return self.output(TeamOut, selectors.team_get(user=request.user, slug=slug))


class TeamMemberListView(ApiView):
    queryset = Membership.objects.none()

    @extend_schema(responses=MemberOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        team = selectors.team_get(user=request.user, slug=slug)
        return self.paginated(MemberOut, selectors.team_memberships(team=team))

    @extend_schema(request=MemberIn, responses={200: MemberOut, 201: MemberOut})
    def post(self, request: Request, slug: str) -> Response:
        """Add a person (`username`) with a `role` (lead or member), or change
        the role of one already in: the team's leads and staff may."""
        team = selectors.team_get_to_manage_members(user=request.user, slug=slug)
        data = self.validated(MemberIn)
        created = services.team_member_set(
            team=team, user=data["username"], role=data["role"]
        )
        membership = selectors.team_memberships(team=team).get(user=data["username"])
        return self.output(MemberOut, membership, status=201 if created else 200)


class TeamMemberDetailView(ApiView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, username: str) -> Response:
        """Take a person out of the team: its leads and staff may."""
        team = selectors.team_get_to_manage_members(user=request.user, slug=slug)
        user = User.objects.filter(username=username).first()
        if user is None or not services.team_member_remove(team=team, user=user):
            raise exceptions.NotFound("No such member.")
        return Response(status=204)
