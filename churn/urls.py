from django.urls import path

from . import views

urlpatterns = [
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="churn-flag-resolve"),
]
