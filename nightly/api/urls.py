from django.urls import path

from .views import ScoresExportView

urlpatterns = [
    path("exports/scores/", ScoresExportView.as_view(), name="api-export-scores"),
]
