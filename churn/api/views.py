"""Churn flags through the API: the same scope, and resolving through the service."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from brokercrm.api_kit import IdFilter, StrictFilterSet
from brokercrm.api_views import ScopedReadViewSet
from churn.models import ChurnFlag, FlagCode, FlagStatus
from churn.selectors import churn_flag_list
from churn.services import churn_flag_resolve

from .serializers import ChurnFlagSerializer, FlagResolveSerializer


def _every_flag(*, user):
    return churn_flag_list(user=user, status=None)


class ChurnFlagFilterSet(StrictFilterSet):
    client = IdFilter(field_name="client_id", label="Client id")
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    code = django_filters.ChoiceFilter(choices=FlagCode.choices)

    class Meta:
        model = ChurnFlag
        fields: list[str] = []


class ChurnFlagViewSet(ScopedReadViewSet):
    """Flags of the clients the user may see (every status; `?status=open`)."""

    serializer_class = ChurnFlagSerializer
    selector = staticmethod(_every_flag)
    filterset_class = ChurnFlagFilterSet
    ordering = ["-raised_on", "-id"]
    ordering_fields = ["id", "raised_on"]

    @extend_schema(request=FlagResolveSerializer, responses={200: ChurnFlagSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close an open flag with its outcome (retained, lost, not a risk)."""
        payload = FlagResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        flag = churn_flag_resolve(
            user=request.user,
            flag_id=self.get_object().pk,
            outcome=payload.validated_data["outcome"],
            note=payload.validated_data.get("note", ""),
        )
        return Response(ChurnFlagSerializer(flag).data)
