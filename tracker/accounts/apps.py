from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tracker.accounts"
    label = "accounts"
    verbose_name = "People and teams"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from tracker.accounts.middleware import session_mark_signed_in

        user_logged_in.connect(session_mark_signed_in, dispatch_uid="session_times")
