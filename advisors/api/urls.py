from django.urls import path

from .views import TokenObtainView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-auth-token"),
]
