"""The SPEC §6 scores export through the API: the CSV `export_scores` writes."""

import io
from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

from clients.permissions import may_see_branch_kpis
from clients.selectors import branch_scope
from history.models import AuditKind
from history.services import audit_record
from nightly.exports import export_write
from tiers.selectors import run_for_date


class ScoresExportView(APIView):
    """One row per client of the branch from the run of `date` (managers, admins, HQ)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, required=True),
            OpenApiParameter("branch", str, required=True, description="Branch code"),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        tags=["exports"],
    )
    def get(self, request):
        if not may_see_branch_kpis(request.user):
            raise PermissionDenied(_("The scores export is for managers and admins."))
        try:
            day = date.fromisoformat(request.query_params.get("date") or "")
        except ValueError as exc:
            raise ValidationError({"date": _("A date as YYYY-MM-DD.")}) from exc
        code = request.query_params.get("branch") or ""
        if not code:
            raise ValidationError({"branch": _("Give the branch code.")})
        branch = branch_scope(request.user).filter(code=code).first()
        run = run_for_date(branch_id=branch.pk, day=day) if branch else None
        if run is None:
            raise NotFound(_("No finished run of that branch on that date."))
        stream = io.StringIO()
        export_write(run=run, stream=stream)
        audit_record(
            kind=AuditKind.EXPORT,
            user=request.user,
            reason="export_scores",
            detail={"branch": code, "date": day.isoformat()},
            request=request,
        )
        response = HttpResponse(
            stream.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="scores-{code}-{day.isoformat()}.csv"'
        )
        return response
