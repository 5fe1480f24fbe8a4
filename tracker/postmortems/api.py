"""REST API for postmortems and action items under /api/v1/ (routes in
api_urls.py). Thin: validate with an input serializer, call a selector or a
service, answer with an output serializer.

Whoever may read the product reads (a private team's are 404 to everyone
else, and unknown in input); writing needs the same rights as the pages
(outsiders get 403). Invalid input is a 400 with messages per field; a status
change goes through POST …/transition/, never through PATCH.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import username_field
from tracker.incidents.models import Incident, validate_http_url
from tracker.lib.api import ApiView, FloatField, ReadableSlugField, StrictInputMixin
from tracker.postmortems.filters import ActionItemFilter, PostmortemFilter
from tracker.postmortems.models import (
    SECTION_KEYS,
    SECTIONS,
    ActionItem,
    ActionKind,
    ActionStatus,
    FailureKind,
    Postmortem,
    Priority,
    Status,
)
from tracker.postmortems.selectors.access import (
    action_item_get_for_user,
    postmortem_get_for_user,
    user_can_edit_postmortem,
)
from tracker.postmortems.selectors.action_items import action_item_list
from tracker.postmortems.selectors.lists import postmortem_api_list
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_update,
)
from tracker.postmortems.services.writeup import (
    postmortem_create,
    postmortem_transition,
    postmortem_update,
)
from tracker.products.models import PlanningSession, Product
from tracker.products.selectors import (
    product_readable_q,
    readable,
    user_can_edit_product,
)

BIGINT = 2**63 - 1
# PositiveIntegerField is a 32-bit integer on PostgreSQL.
MAX_USERS = 2**31 - 1
MAX_TEXT = 100_000


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=BIGINT, **kwargs)


# --- Output -----------------------------------------------------------------------


class WarningOutput(serializers.Serializer):
    id = serializers.IntegerField()
    section = serializers.CharField()
    phrase = serializers.CharField()
    rule = serializers.CharField()
    offset = serializers.IntegerField()
    suggestion = serializers.CharField()
    accepted = serializers.BooleanField(source="is_accepted")
    accepted_by = serializers.CharField(source="accepted_by.username", default=None)
    accepted_at = serializers.DateTimeField(allow_null=True)


class PostmortemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    product = serializers.CharField(source="product.slug")
    incidents = serializers.SerializerMethodField()
    failure_kind = serializers.CharField()
    status = serializers.CharField()
    summary = serializers.CharField()
    impact = serializers.CharField()
    trigger = serializers.CharField()
    detection = serializers.CharField()
    resolution = serializers.CharField()
    went_well = serializers.CharField()
    went_wrong = serializers.CharField()
    lucky = serializers.CharField()
    lessons = serializers.CharField()
    links = serializers.CharField()
    not_applicable = serializers.ListField(child=serializers.CharField())
    users_affected = serializers.IntegerField(allow_null=True)
    error_budget_consumed = FloatField(allow_null=True)
    no_action_items = serializers.BooleanField()
    authors = serializers.SerializerMethodField()
    reviewers = serializers.SerializerMethodField()
    review_owner = serializers.CharField(source="review_owner.username", default=None)
    review_meeting_at = serializers.DateTimeField(allow_null=True)
    review_deadline = serializers.DateField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    warnings = WarningOutput(many=True, source="warning_list")
    html_url = serializers.SerializerMethodField()

    def get_incidents(self, postmortem: Postmortem) -> list[int]:
        return [incident.pk for incident in postmortem.incident_list]

    def get_authors(self, postmortem: Postmortem) -> list[str]:
        return [person.username for person in postmortem.author_list]

    def get_reviewers(self, postmortem: Postmortem) -> list[str]:
        return [person.username for person in postmortem.reviewer_list]

    def get_html_url(self, postmortem: Postmortem) -> str:
        return self.context["request"].build_absolute_uri(postmortem.get_absolute_url())


class ActionItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    kind = serializers.CharField()
    owner = serializers.CharField(source="owner.username", default=None)
    due_date = serializers.DateField(allow_null=True)
    priority = serializers.CharField()
    status = serializers.CharField()
    status_note = serializers.CharField()
    overdue = serializers.SerializerMethodField()
    ticket_url = serializers.CharField()
    postmortem = serializers.IntegerField(source="postmortem_id", allow_null=True)
    session = serializers.IntegerField(source="session_id", allow_null=True)
    product = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    html_url = serializers.SerializerMethodField()

    def get_overdue(self, item: ActionItem) -> bool:
        return item.is_overdue(timezone.localdate())

    def get_product(self, item: ActionItem) -> str:
        return item.source.product.slug

    def get_html_url(self, item: ActionItem) -> str:
        return self.context["request"].build_absolute_uri(item.get_absolute_url())


# --- Input ------------------------------------------------------------------------


def _readable(
    serializer: serializers.Serializer, rows: QuerySet, *paths: str, **kwargs: Any
) -> QuerySet:
    """Rows the requester may read: a private team's ids are "no such id" in
    input, as unknown ones are."""
    return rows.filter(readable(serializer.context["request"].user, *paths, **kwargs))


def _section_field() -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False
    )


class PostmortemInput(StrictInputMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    product = ReadableSlugField(
        visible_to=product_readable_q, queryset=Product.objects.select_related("team")
    )
    incidents = serializers.ListField(child=_id_field(), required=False)
    failure_kind = serializers.ChoiceField(
        choices=FailureKind.choices,
        required=False,
        allow_blank=True,
        help_text="A product failure without incidents: how it failed.",
    )
    summary = _section_field()
    impact = _section_field()
    trigger = _section_field()
    detection = _section_field()
    resolution = _section_field()
    went_well = _section_field()
    went_wrong = _section_field()
    lucky = _section_field()
    lessons = _section_field()
    links = _section_field()
    not_applicable = serializers.ListField(
        child=serializers.ChoiceField(choices=SECTION_KEYS), required=False
    )
    users_affected = serializers.IntegerField(
        min_value=0, max_value=MAX_USERS, required=False, allow_null=True
    )
    error_budget_consumed = FloatField(
        min_value=0, max_value=1_000_000, required=False, allow_null=True
    )
    no_action_items = serializers.BooleanField(required=False)
    authors = serializers.ListField(child=username_field(), required=False)
    reviewers = serializers.ListField(child=username_field(), required=False)
    review_owner = username_field(required=False, allow_null=True)
    review_meeting_at = serializers.DateTimeField(required=False, allow_null=True)
    review_deadline = serializers.DateField(required=False, allow_null=True)

    def validate_incidents(self, ids: list[int]) -> list[Incident]:
        incidents = _readable(self, Incident.objects, "product", unassigned=True)
        found = incidents.in_bulk(set(ids))
        unknown = sorted(set(ids) - set(found))
        if unknown:
            raise serializers.ValidationError(
                f"No incident with id {', '.join(map(str, unknown))}."
            )
        return [found[pk] for pk in dict.fromkeys(ids)]


def _service_data(data: dict[str, Any]) -> dict[str, Any]:
    """PostmortemInput's data as the services take it: `not_applicable` becomes
    the sections' flags."""
    data = dict(data)
    data.pop("product", None)
    if "not_applicable" in data:
        chosen = set(data.pop("not_applicable"))
        for section in SECTIONS:
            data[section.na_field] = section.key in chosen
    return data


class TransitionInput(StrictInputMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ActionItemInput(StrictInputMixin, serializers.Serializer):
    description = serializers.CharField(max_length=5000)
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    owner = username_field(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    status = serializers.ChoiceField(choices=ActionStatus.choices, required=False)
    status_note = serializers.CharField(
        required=False, allow_blank=True, max_length=500
    )
    ticket_url = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        validators=[validate_http_url],
    )
    postmortem = _id_field(required=False, allow_null=True)
    session = _id_field(required=False, allow_null=True)

    def validate_postmortem(self, pk: int | None) -> Postmortem | None:
        if pk is None:
            return None
        postmortems = _readable(self, Postmortem.objects, "product")
        postmortem = postmortems.select_related("product").filter(pk=pk).first()
        if postmortem is None:
            raise serializers.ValidationError(f"No postmortem with id {pk}.")
        return postmortem

    def validate_session(self, pk: int | None) -> PlanningSession | None:
        if pk is None:
            return None
        sessions = _readable(self, PlanningSession.objects, "product")
        session = sessions.select_related("product").filter(pk=pk).first()
        if session is None:
            raise serializers.ValidationError(f"No planning session with id {pk}.")
        return session

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.partial:
            for source in ("postmortem", "session"):
                if source in data:
                    raise serializers.ValidationError(
                        {source: "An action item keeps where it came from."}
                    )
            return data
        if bool(data.get("postmortem")) == bool(data.get("session")):
            raise serializers.ValidationError(
                {
                    "postmortem": "Give exactly one of postmortem and session: where "
                    "the action item came from."
                }
            )
        return data


# --- Postmortems ------------------------------------------------------------------


def _postmortem_answer(view: ApiView, pk: int, status: int = 200) -> Response:
    postmortem = postmortem_api_list(user=view.request.user).get(pk=pk)
    return view.output(PostmortemOutput, postmortem, status=status)


class PostmortemListCreateApi(ApiView):
    """GET: postmortems, latest first; filters product, status, category,
    period and q (full-text on PostgreSQL). POST: start a draft."""

    queryset = Postmortem.objects.none()
    filterset_class = PostmortemFilter

    @extend_schema(responses=PostmortemOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = postmortem_api_list(user=request.user)
        return self.paginated(PostmortemOutput, self.filter_queryset(rows))

    @extend_schema(request=PostmortemInput, responses={201: PostmortemOutput})
    def post(self, request: Request) -> Response:
        data = self.validated(PostmortemInput)
        product = data["product"]
        if not user_can_edit_product(request.user, product):
            raise PermissionDenied("Only the product's team and owners can do this.")
        postmortem = postmortem_create(
            product=product, actor=request.user, data=_service_data(data)
        )
        return _postmortem_answer(self, postmortem.pk, status=201)


class PostmortemDetailApi(ApiView):
    """GET: one postmortem with its blameless warnings. PATCH: change its
    title, sections, incidents, people or dates (not its status: see
    transition/)."""

    @extend_schema(responses=PostmortemOutput)
    def get(self, request: Request, pk: int) -> Response:
        postmortem_get_for_user(user=request.user, pk=pk)
        return _postmortem_answer(self, pk)

    @extend_schema(request=PostmortemInput, responses=PostmortemOutput)
    def patch(self, request: Request, pk: int) -> Response:
        postmortem = postmortem_get_for_user(user=request.user, pk=pk, for_edit=True)
        if "status" in request.data:
            raise serializers.ValidationError(
                {"status": "Change the status with POST …/transition/."}
            )
        if "product" in request.data:
            raise serializers.ValidationError(
                {"product": "A postmortem stays with its product."}
            )
        data = self.validated(PostmortemInput, partial=True)
        postmortem_update(
            postmortem=postmortem, actor=request.user, data=_service_data(data)
        )
        return _postmortem_answer(self, pk)


class PostmortemTransitionApi(ApiView):
    """POST {"status": …, "reason": …}: move the postmortem (draft → in_review →
    reviewed → published; back to draft with a reason). 400 says what is
    missing; 403 when only a reviewer may make the move."""

    @extend_schema(request=TransitionInput, responses=PostmortemOutput)
    def post(self, request: Request, pk: int) -> Response:
        postmortem = postmortem_get_for_user(user=request.user, pk=pk, for_edit=True)
        data = self.validated(TransitionInput)
        postmortem_transition(
            postmortem=postmortem,
            actor=request.user,
            status=data["status"],
            reason=data.get("reason", ""),
        )
        return _postmortem_answer(self, pk)


# --- Action items -----------------------------------------------------------------


def _item_answer(view: ApiView, item: ActionItem, status: int = 200) -> Response:
    item = action_item_list(user=view.request.user).get(pk=item.pk)
    return view.output(ActionItemOutput, item, status=status)


class ActionItemListCreateApi(ApiView):
    """GET: action items; filters status, kind, owner (username), product
    (slug), postmortem, session and overdue. POST: add one to a postmortem or a
    planning session (exactly one)."""

    queryset = ActionItem.objects.none()
    filterset_class = ActionItemFilter

    @extend_schema(responses=ActionItemOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = action_item_list(user=request.user)
        return self.paginated(ActionItemOutput, self.filter_queryset(rows))

    @extend_schema(request=ActionItemInput, responses={201: ActionItemOutput})
    def post(self, request: Request) -> Response:
        data = self.validated(ActionItemInput)
        postmortem, session = data.pop("postmortem", None), data.pop("session", None)
        allowed = (
            user_can_edit_postmortem(request.user, postmortem)
            if postmortem
            else user_can_edit_product(request.user, session.product)
        )
        if not allowed:
            raise PermissionDenied(
                "Only the people who may edit its postmortem or planning session "
                "can add action items to it."
            )
        item = action_item_create(
            actor=request.user, data=data, postmortem=postmortem, session=session
        )
        return _item_answer(self, item, status=201)


class ActionItemDetailApi(ApiView):
    """GET: one action item. PATCH: change it, or close it with `status` (done,
    or wont_do with a `status_note` saying why) or reopen it."""

    @extend_schema(responses=ActionItemOutput)
    def get(self, request: Request, pk: int) -> Response:
        item = action_item_get_for_user(user=request.user, pk=pk)
        return _item_answer(self, item)

    @extend_schema(request=ActionItemInput, responses=ActionItemOutput)
    def patch(self, request: Request, pk: int) -> Response:
        item = action_item_get_for_user(user=request.user, pk=pk, for_edit=True)
        data = self.validated(ActionItemInput, partial=True)
        action_item_update(item=item, actor=request.user, data=data)
        return _item_answer(self, item)
