"""Every app's API under /api/v1/: each app adds its router's urls here."""

from django.urls import include, path

urlpatterns = [
    path("", include("advisors.api.urls")),
    path("loyalty/", include("loyalty.api.urls")),
    path("", include("clients.api.urls")),
    path("", include("churn.api.urls")),
    path("", include("tiers.api.urls")),
    path("", include("kpis.api.urls")),
    path("", include("imports.api.urls")),
    path("", include("nightly.api.urls")),
    path("", include("workspace.api.urls")),
]
