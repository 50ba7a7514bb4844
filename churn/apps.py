from django.apps import AppConfig


class ChurnConfig(AppConfig):
    name = "churn"
