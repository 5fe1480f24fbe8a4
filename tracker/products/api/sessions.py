"""Planning sessions."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import username_field
from tracker.accounts.models import User
from tracker.lib.api import ApiView, HtmlUrlField, ModelSerializer, slug_of
from tracker.products import selectors, services
from tracker.products.filters import SessionFilter
from tracker.products.models import PlanningSession


class PersonasOut(serializers.Serializer):
    pm = serializers.BooleanField()
    ml = serializers.BooleanField()
    eng = serializers.BooleanField()


class SessionOut(ModelSerializer):
    product = slug_of()
    attendees = serializers.SerializerMethodField()
    personas_present = serializers.SerializerMethodField()
    created_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = PlanningSession
        fields = [
            "id",
            "product",
            "title",
            "held_at",
            "attendees",
            "personas_present",
            "decisions",
            "notes",
            "open_questions",
            "created_by",
            "created_at",
            "updated_at",
            "html_url",
        ]

    def get_attendees(self, session: PlanningSession) -> list[str]:
        """Usernames, sorted (uses the prefetched attendees)."""
        return sorted(user.username for user in session.attendees.all())

    @extend_schema_field(PersonasOut)
    def get_personas_present(self, session: PlanningSession) -> dict[str, bool]:
        """Which of the three owners attended."""
        return selectors.personas_present(session, session.product)


class SessionIn(ModelSerializer):
    attendees = username_field(
        many=True,
        required=False,
        queryset=User.objects.none(),
        error_messages={"does_not_exist": "{value} is not in the team or an owner."},
    )

    class Meta:
        model = PlanningSession
        fields = [*services.SESSION_FIELDS, "attendees"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Attendees come from the product's team and owners, as in the HTML form.
        product = self.context.get("product")  # absent only when the schema is built
        if product is not None:
            candidates = selectors.session_candidates(product=product)
            self.fields["attendees"].child_relation.queryset = candidates


class ProductSessionListView(ApiView):
    queryset = PlanningSession.objects.none()
    filterset_class = SessionFilter

    @extend_schema(responses=SessionOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        sessions = self.filter_queryset(
            selectors.session_list(product=product).select_related("created_by")
        )
        return self.paginated(SessionOut, sessions)

    @extend_schema(request=SessionIn, responses={201: SessionOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        data = self.validated(SessionIn, product=product)
        session = services.session_create(
            product=product, actor=request.user, data=data
        )
        return self.output(SessionOut, session, status=201)


class SessionDetailView(ApiView):
    def _session(self, slug: str, pk: int, for_edit: bool = False):
        product = selectors.product_get_for_user(
            user=self.request.user, slug=slug, for_edit=for_edit
        )
        sessions = selectors.session_list(product=product).select_related("created_by")
        return product, get_object_or_404(sessions, pk=pk)

    @extend_schema(responses=SessionOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        return self.output(SessionOut, self._session(slug, pk)[1])

    @extend_schema(request=SessionIn(partial=True), responses=SessionOut)
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        product, session = self._session(slug, pk, for_edit=True)
        data = self.validated(SessionIn, partial=True, product=product)
        services.session_update(session=session, data=data)
        return self.output(SessionOut, session)
