from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from brokercrm.health import health_view

urlpatterns = [
    path("health/", health_view, name="health"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema"),
        name="api-docs",
    ),
    path("api/v1/", include("brokercrm.api_urls")),
    path("loyalty/", include("loyalty.urls")),
    path("churn/", include("churn.urls")),
    path("kpi/", include("kpis.urls")),
    path("imports/", include("imports.urls")),
    path("", include("clients.urls")),
    path("", include("workspace.urls")),
]
