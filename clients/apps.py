from django.apps import AppConfig

from .logfilters import install as mask_personal_data_in_logs


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self):
        mask_personal_data_in_logs()
