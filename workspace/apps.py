from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The advisor's workspace: the book, Today, the client page (reads across apps)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workspace"
    verbose_name = "Workspace"
