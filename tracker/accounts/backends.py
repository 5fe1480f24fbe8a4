"""The authentication backend: Django's, with every password check throttled."""

import logging

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from tracker.accounts import login_throttle
from tracker.accounts.models import User

logger = logging.getLogger(__name__)


class ThrottledModelBackend(ModelBackend):
    """Counts the attempt before checking the password (login_throttle), so no
    caller of `authenticate()` can skip the limits: the sign-in page, the admin's
    and the API's token endpoint. Over a limit it raises LoginThrottled, which
    those callers turn into a form error or a 429."""

    @sensitive_variables("password", "kwargs")
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        attempt = login_throttle.login_attempt_start(username=username, request=request)
        user = super().authenticate(request, username=username, password=password)
        address = login_throttle.client_address(request)
        if user is None:
            # Not the username: a password typed into its box must not reach a log.
            logger.info("Sign-in failed (from %s)", address)
            return None
        login_throttle.login_attempt_succeeded(attempt)
        logger.info("Sign-in of %s (from %s)", user.username, address)
        return user
