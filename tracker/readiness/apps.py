from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "tracker.readiness"
    label = "readiness"
    verbose_name = "Production readiness"

    def ready(self) -> None:
        from tracker.ci.signals import stage_finished
        from tracker.readiness.services import ml_tests_ci_changed

        # A finished CI stage may (un)automate the ML Test Score tests mapped to it.
        stage_finished.connect(ml_tests_ci_changed, dispatch_uid="readiness.ci")
