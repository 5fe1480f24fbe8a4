"""One FilterSet for the notifications page and GET /api/v1/notifications/."""

import django_filters

from tracker.reminders.models import Reminder


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(method="filter_unread", label="Unread only")

    class Meta:
        model = Reminder
        fields = ["unread"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value)
