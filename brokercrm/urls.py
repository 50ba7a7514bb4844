from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

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
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    path("api/v1/", include("brokercrm.api_urls")),
    path("account/", include("advisors.urls")),
    path("loyalty/", include("loyalty.urls")),
    path("churn/", include("churn.urls")),
    path("kpi/", include("kpis.urls")),
    path("imports/", include("imports.urls")),
    path("history/", include("history.urls")),
    path("", include("clients.urls")),
    path("", include("workspace.urls")),
]

# Under /api/ the errors answer JSON; elsewhere, the pages (brokercrm.errors).
handler400 = "brokercrm.errors.bad_request"
handler403 = "brokercrm.errors.permission_denied"
handler404 = "brokercrm.errors.page_not_found"
handler500 = "brokercrm.errors.server_error"
