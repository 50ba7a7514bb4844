from rest_framework import viewsets

from clients import selectors

from .serializers import ClientSerializer


class ClientViewSet(viewsets.ReadOnlyModelViewSet):
    """The clients the token's user may see (the same scope as the UI)."""

    serializer_class = ClientSerializer

    def get_queryset(self):
        return selectors.client_list(
            user=self.request.user, search=self.request.query_params.get("search", "")
        )
