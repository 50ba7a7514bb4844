"""Imports through the API: upload a file → a batch id → poll its status and report.

The same service as the pages and `import_file`: the file is stored, a batch is
recorded (`batch_create`) and run by the Celery task (`batch_run`), so the report
is the one `import_file` prints. `dry_run=true` checks the file and writes nothing.
"""

import os
import uuid

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from brokercrm.api_kit import ModelSerializer, StrictBooleanField, StrictFilterSet
from brokercrm.api_views import ScopedViewSetMixin, validated
from clients.permissions import may_import
from imports.forms import UploadForm
from imports.models import BatchStatus, ImportBatch, ImportKind, ImportMode
from imports.selectors import batch_list
from imports.services import batch_confirm, batch_create
from imports.tasks import import_batch_run_task


class ImportBatchSerializer(ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # Blank from the upload until the run detects the file's kind from its header.
    kind = serializers.ChoiceField(
        choices=ImportKind.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "branch",
            "kind",
            "mode",
            "partial",
            "dry_run",
            "status",
            "file_name",
            "file_size",
            "encoding",
            "matched_columns",
            "ignored_columns",
            "rows_total",
            "rows_new",
            "rows_updated",
            "rows_skipped",
            "rows_failed",
            "errors",
            "message",
            "duration_s",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    """What the upload takes (multipart/form-data)."""

    file = serializers.FileField()
    kind = serializers.ChoiceField(
        choices=ImportKind.choices, required=False, help_text="Detected when left out."
    )
    mode = serializers.ChoiceField(choices=ImportMode.choices, required=False)
    partial = serializers.BooleanField(required=False)
    dry_run = serializers.BooleanField(required=False)


class ConfirmSerializer(serializers.Serializer):
    partial = StrictBooleanField(
        required=False,
        default=False,
        help_text="Import the good rows and skip the failed ones (else all or none).",
    )


class ImportBatchFilterSet(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ImportKind.choices)

    class Meta:
        model = ImportBatch
        fields: list[str] = []


class ImportBatchViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The import history the user may see; POST uploads a file (admins), and
    `confirm/` imports a checked file (a dry run) for real, as the page's button does."""

    serializer_class = ImportBatchSerializer
    selector = staticmethod(batch_list)
    filterset_class = ImportBatchFilterSet
    ordering_fields = ["id", "created_at"]

    parser_classes = [MultiPartParser]  # its only body is the upload

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={202: ImportBatchSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Upload a file: 202 with the batch; poll `GET /imports/{id}/` for its report."""
        if not may_import(request.user):
            raise PermissionDenied(_("Imports are the branch admin's."))
        data = request.data.copy()
        data.setdefault("mode", ImportMode.INSERT)
        form = UploadForm(data, request.FILES, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        dry_run = str(request.data.get("dry_run", "")).lower()
        if dry_run not in ("", "true", "false"):
            raise ValidationError({"dry_run": _("true or false.")})
        upload = form.cleaned_data["file"]
        branch = form.cleaned_data.get("branch") or request.user.branch
        name = get_valid_filename(os.path.basename(upload.name)) or "upload"
        stored = default_storage.save(f"imports/{uuid.uuid4().hex}/{name}", upload)
        batch = batch_create(
            branch=branch,
            path=default_storage.path(stored),
            kind=form.cleaned_data["kind"] or None,
            file_name=upload.name,
            mode=form.cleaned_data["mode"],
            partial=form.cleaned_data["partial"],
            dry_run=dry_run == "true",
            user=request.user,
        )
        import_batch_run_task.delay_on_commit(batch.pk)
        return Response(
            ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=ConfirmSerializer, responses={202: ImportBatchSerializer})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def confirm(self, request, pk=None):
        """Import a checked file: 202 with the new batch; poll it for its report."""
        data = validated(ConfirmSerializer, request)
        batch = batch_confirm(
            user=request.user, preview=self.get_object(), partial=data["partial"]
        )
        import_batch_run_task.delay_on_commit(batch.pk)
        return Response(
            ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED
        )
