"""`POST /api/v1/auth/token/`: a service account gets a token from its password.

The sign-in goes through `authenticate(request=…)`, so django-axes counts it like
the login page's: after LOGIN_FAILURE_LIMIT failures the username (and the address)
is locked, and the answer is JSON 429 with Retry-After (brokercrm.errors).
"""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from advisors.services import api_token_create
from brokercrm.api_auth import ApiTokenAuthentication

from .serializers import TokenRequestSerializer, TokenSerializer


class TokenObtainView(APIView):
    """Exchange a username and password for a new named token (shown once)."""

    # No session (so no CSRF for a service); a bad Bearer header is still a 401.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={201: TokenSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        payload = TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        # The HttpRequest itself: django-axes marks a locked-out sign-in on it.
        user = authenticate(
            request._request, username=data["username"], password=data["password"]
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("Wrong username or password."))
        token, key = api_token_create(user=user, name=data["name"])
        return Response(
            TokenSerializer(
                {
                    "id": token.pk,
                    "name": token.name,
                    "key": key,
                    "prefix": token.prefix,
                    "created_at": token.created_at,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
