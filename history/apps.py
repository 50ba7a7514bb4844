from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = _("Record history")

    def ready(self):
        from . import signals  # noqa: F401  (sign-ins, failed sign-ins, imports)
