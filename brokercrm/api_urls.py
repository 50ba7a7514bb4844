"""Every app's API under /api/v1/: each app adds its router's urls here."""

from django.urls import include, path

urlpatterns = [
    path("", include("advisors.api.urls")),
    path("loyalty/", include("loyalty.api.urls")),
    path("", include("workspace.api.urls")),
]
