"""Managers' numbers through the API (SPEC §5, §7): KPIs, reassignment, duplicates
and their merge.

Reads are `kpis.selectors` for the user (an advisor reads no branch's KPIs: 403);
the reassignment is `clients_reassign` and the merge `client_merge_preview` then
`client_merge`, the services the pages call: each asks the permissions module, and
a client outside the user's scope is a 404.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from brokercrm.api_kit import IdField, ModelSerializer, QueryIdField, StrictCharField
from clients.permissions import may_merge_clients, may_see_branch_kpis
from kpis.models import AdvisorKpi, ClientMerge
from kpis.scoring import KPI_COLUMNS
from kpis.selectors import (
    duplicate_groups,
    kpi_branch_get,
    kpi_latest_month,
    kpi_month_rows,
    merge_client_get,
)
from kpis.services import client_merge, client_merge_preview, clients_reassign


class KpiRowSerializer(ModelSerializer):
    month = serializers.DateField(read_only=True)

    class Meta:
        model = AdvisorKpi
        fields = ["month", "date", "employee_no", *KPI_COLUMNS]
        read_only_fields = fields


class KpiMonthSerializer(serializers.Serializer):
    branch = serializers.CharField()
    month = serializers.CharField(allow_null=True)
    rows = KpiRowSerializer(many=True)


class ReassignRequestSerializer(serializers.Serializer):
    clients = serializers.ListField(child=IdField(), min_length=1, max_length=10_000)
    to_advisor = IdField()
    reason = StrictCharField(max_length=500)


class ReassignResultSerializer(serializers.Serializer):
    moved = serializers.ListField(child=serializers.IntegerField())
    to_advisor = serializers.IntegerField()


class DuplicateGroupSerializer(serializers.Serializer):
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["id_number", "phone_name"]),
        help_text="Why they look alike: the same ID number, the same phone and name.",
    )
    clients = serializers.ListField(child=serializers.IntegerField())


class MergeQuerySerializer(serializers.Serializer):
    keep = QueryIdField(help_text="The client that stays.")
    merge = QueryIdField(help_text="The duplicate merged into it.")


class MergeRequestSerializer(serializers.Serializer):
    keep = IdField(help_text="The client that stays.")
    merge = IdField(help_text="The duplicate merged into it.")


class MergeCountSerializer(serializers.Serializer):
    kept = serializers.IntegerField()
    merged = serializers.IntegerField()


class MergePreviewSerializer(serializers.Serializer):
    keep = serializers.IntegerField()
    merge = serializers.IntegerField()
    counts = serializers.DictField(
        child=MergeCountSerializer(),
        help_text="Rows each side holds per table, and each side's points balance.",
    )


class ClientMergeSerializer(ModelSerializer):
    moved = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows moved per table."
    )
    merged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ClientMerge
        fields = ["id", "kept", "merged", "moved", "merged_at", "merged_by"]
        read_only_fields = fields


def _month(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        year, month = raw.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise ValidationError({"month": _("A month as YYYY-MM.")}) from exc


class KpiView(APIView):
    """One month's KPI rows of a branch: its advisors by employee number, then `*`."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "month",
                str,
                description="YYYY-MM (default: the latest month with a run)",
                pattern=r"^[0-9]{4}-[0-9]{2}$",
            ),
            OpenApiParameter(
                "branch", str, description="Branch code (default: your own)"
            ),
        ],
        responses={200: KpiMonthSerializer},
        tags=["kpis"],
    )
    def get(self, request):
        if not may_see_branch_kpis(request.user):
            raise PermissionDenied(_("KPIs are for managers, admins and head office."))
        month = _month(request.query_params.get("month"))
        branch = kpi_branch_get(
            user=request.user, code=request.query_params.get("branch") or None
        )
        month = month or kpi_latest_month(branch_id=branch.pk)
        rows = (
            kpi_month_rows(user=request.user, branch=branch, month=month)
            if month
            else AdvisorKpi.objects.none()
        )
        return Response(
            KpiMonthSerializer(
                {
                    "branch": branch.code,
                    "month": month.strftime("%Y-%m") if month else None,
                    "rows": rows,
                }
            ).data
        )


class ReassignView(APIView):
    """Move clients to another advisor in one action (a manager's), recorded per client."""

    @extend_schema(
        request=ReassignRequestSerializer,
        responses={201: ReassignResultSerializer},
        tags=["kpis"],
    )
    def post(self, request):
        payload = ReassignRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        moves = clients_reassign(
            user=request.user,
            client_ids=data["clients"],
            to_advisor_id=data["to_advisor"],
            reason=data["reason"],
        )
        return Response(
            {"moved": [m.client_id for m in moves], "to_advisor": data["to_advisor"]},
            status=status.HTTP_201_CREATED,
        )


def _require_merge(user) -> None:
    if not may_merge_clients(user):
        raise PermissionDenied(_("Only the branch's managers and admins may merge."))


def _merge_pair(user, data: dict):
    """The two clients of a merge, each in the user's scope and not merged (else 404)."""
    return (
        merge_client_get(user=user, pk=data["keep"]),
        merge_client_get(user=user, pk=data["merge"]),
    )


class DuplicatesView(APIView):
    """Likely duplicates in the user's scope: by ID number, or by phone and name."""

    @extend_schema(responses={200: DuplicateGroupSerializer(many=True)}, tags=["kpis"])
    def get(self, request):
        _require_merge(request.user)
        groups = duplicate_groups(user=request.user)
        return Response(
            DuplicateGroupSerializer(
                [
                    {"reasons": reasons, "clients": [c.pk for c in clients]}
                    for reasons, clients in groups
                ],
                many=True,
            ).data
        )


class MergeView(APIView):
    """Merge a duplicate into the client kept (managers and admins of the branch).

    GET previews what would move; POST merges, in one transaction, keeping every
    trade, interaction and point of both (SPEC §7). The same services as the page.
    """

    @extend_schema(
        parameters=[MergeQuerySerializer],
        responses={200: MergePreviewSerializer},
        tags=["kpis"],
        operation_id="duplicates_merge_preview",
    )
    def get(self, request):
        _require_merge(request.user)
        query = MergeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kept, merged = _merge_pair(request.user, query.validated_data)
        counts = client_merge_preview(kept=kept, merged=merged)
        return Response(
            MergePreviewSerializer(
                {"keep": kept.pk, "merge": merged.pk, "counts": counts}
            ).data
        )

    @extend_schema(
        request=MergeRequestSerializer,
        responses={201: ClientMergeSerializer},
        tags=["kpis"],
        operation_id="duplicates_merge",
    )
    def post(self, request):
        _require_merge(request.user)
        payload = MergeRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            kept, merged = _merge_pair(request.user, payload.validated_data)
            record = client_merge(user=request.user, kept=kept, merged=merged)
        return Response(
            ClientMergeSerializer(record).data, status=status.HTTP_201_CREATED
        )
