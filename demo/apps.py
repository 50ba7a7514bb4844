from django.apps import AppConfig


class DemoAppConfig(AppConfig):
    """The demo branch: `seed_demo` generates, writes and exports a synthetic branch."""

    name = "demo"
