from django.contrib import admin
from import_export.admin import ImportExportMixin

from advisors.models import Role
from brokercrm.admin import BranchScopedAdmin

from .models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(BranchScopedAdmin):
    """The import history, read-only: batches are written by the import service."""

    list_display = [
        "created_at",
        "branch",
        "kind",
        "file_name",
        "status",
        "rows_new",
        "rows_updated",
        "rows_skipped",
        "rows_failed",
        "duration_s",
        "created_by",
    ]
    list_filter = ["status", "kind", "branch"]
    search_fields = ["file_name", "sha256"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BranchImportExportMixin(ImportExportMixin):
    """django-import-export in the admin, confined to the branch admin's own branch."""

    def get_import_resource_kwargs(self, request, **kwargs):
        kwargs = super().get_import_resource_kwargs(request, **kwargs)
        user = request.user
        if not (user.is_superuser or user.role == Role.HEAD_OFFICE):
            kwargs["branch_code"] = user.branch.code if user.branch else "-"
        return kwargs
