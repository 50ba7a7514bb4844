from django.apps import AppConfig


class NightlyConfig(AppConfig):
    """The nightly run: the orchestrator on top of every app's own step."""

    name = "nightly"
