from django.urls import path

from . import views

urlpatterns = [
    path("tokens/", views.tokens_view, name="account-tokens"),
    path(
        "tokens/<int:pk>/revoke/", views.token_revoke_view, name="account-token-revoke"
    ),
]
