from django.apps import AppConfig


class AdvisorsConfig(AppConfig):
    name = "advisors"
    verbose_name = "Branches, users and advisors"

    def ready(self):
        from . import sessions  # noqa: F401  (signals: a deactivated user's sessions end)
