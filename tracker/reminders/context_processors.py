"""The bell in the top bar (templates/base.html)."""

from functools import cached_property

from django.http import HttpRequest

from tracker.reminders.selectors import notification_unread_count


class Bell:
    """Unread notifications, counted on first use: one COUNT on the unread
    partial index, and none at all on pages that do not show the bell."""

    def __init__(self, user) -> None:
        self._user = user

    @cached_property
    def unread(self) -> int:
        return notification_unread_count(user=self._user)

    @property
    def label(self) -> str:
        return "99+" if self.unread > 99 else str(self.unread)


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}
