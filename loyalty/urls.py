from django.urls import path

from . import views

app_name = "loyalty"

urlpatterns = [
    path("clients/<int:pk>/points/", views.client_points, name="client-points"),
    path("clients/<int:pk>/points/redeem/", views.client_redeem, name="client-redeem"),
    path("clients/<int:pk>/points/adjust/", views.client_adjust, name="client-adjust"),
    path(
        "adjustments/<int:pk>/<str:decision>/",
        views.adjustment_decide,
        name="adjustment-decide",
    ),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry-reverse"),
    path("analytics/", views.analytics, name="analytics"),
]
