from django.urls import path

from . import views

urlpatterns = [
    path("model/", views.model_page, name="churn-model"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="churn-flag-resolve"),
]
