"""Scoring runs of the branches the user may read (SPEC §3)."""

import django_filters

from brokercrm.api_kit import StrictFilterSet
from brokercrm.api_views import ScopedReadViewSet
from tiers.models import RunStatus, ScoreRun
from tiers.selectors import run_list

from .serializers import ScoreRunSerializer


class ScoreRunFilterSet(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = ScoreRun
        fields: list[str] = []


class ScoreRunViewSet(ScopedReadViewSet):
    serializer_class = ScoreRunSerializer
    selector = staticmethod(run_list)
    filterset_class = ScoreRunFilterSet
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date"]
