from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "tracker.releases"
    label = "releases"
    verbose_name = "Model releases"

    def ready(self) -> None:
        from tracker.ci.signals import stage_finished
        from tracker.releases.services import release_ci_stage_finished

        # A finished evaluation stage records its metrics on the version; a
        # successful deploy stage records a production deployment.
        stage_finished.connect(release_ci_stage_finished, dispatch_uid="releases.ci")
