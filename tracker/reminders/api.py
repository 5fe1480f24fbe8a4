"""REST API for a person's own notifications. Thin: selectors read, services
write; authentication and pagination are the project's DRF defaults."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.lib.api import ModelSerializer
from tracker.reminders import registry, selectors
from tracker.reminders.filters import NotificationFilter
from tracker.reminders.models import Reminder
from tracker.reminders.services import notifications


class SubjectSerializer(serializers.Serializer):
    type = serializers.CharField(source="subject_type")
    id = serializers.IntegerField(source="subject_id")
    url = serializers.CharField(source="absolute_url", help_text="Where to act on it.")


class NotificationOutputSerializer(ModelSerializer):
    kind = serializers.CharField(source="rule")
    headline = serializers.SerializerMethodField()
    subject = SubjectSerializer(source="*")
    due_at = serializers.DateTimeField(source="occurrence")
    unread = serializers.BooleanField(source="is_unread")

    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "headline",
            "title",
            "escalation",
            "subject",
            "due_at",
            "created_at",
            "read_at",
            "resolved_at",
            "unread",
        ]

    def get_headline(self, obj: Reminder) -> str:
        rule = registry.get_rule(obj.rule)
        return rule.headline(obj.escalation) if rule else ""


class NotificationListAPI(generics.ListAPIView):
    """The caller's own notifications, newest first; `?unread=true` for unread."""

    serializer_class = NotificationOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Reminder.objects.none()
        return selectors.notification_list(user=self.request.user)


class NotificationReadAPI(generics.GenericAPIView):
    """Mark one of the caller's notifications read (404 for anyone else's)."""

    serializer_class = NotificationOutputSerializer

    @extend_schema(request=None, responses={200: NotificationOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        notification = selectors.notification_get_for_user(user=request.user, pk=pk)
        notifications.notification_mark_read(notification=notification)
        notification.refresh_from_db()
        return Response(NotificationOutputSerializer(notification).data)
