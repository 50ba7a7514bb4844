"""Clients through the API: the same scope and FilterSet as the book page."""

from rest_framework import viewsets

from workspace.filters import ClientFilterSet
from workspace.selectors import book_list

from .serializers import ClientSerializer


class ClientViewSet(viewsets.ReadOnlyModelViewSet):
    """The clients the token's user may see, with their current scores."""

    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet

    def get_queryset(self):
        return book_list(user=self.request.user).order_by("client_no", "pk")
