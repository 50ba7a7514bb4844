from django.contrib import admin
from import_export.admin import ImportExportMixin

from brokercrm.admin import BranchScopedAdmin
from clients.permissions import may_import_in_admin

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
    """django-import-export in the admin, confined to the branch admin's own branch.

    Importing needs the right to write (head office only reads) and to add and change
    the model's rows; the resource then refuses any row of another branch. Exporting
    needs the right to view, and exports the change list's (branch-scoped) rows.
    """

    def has_import_permission(self, request):
        return (
            may_import_in_admin(request.user)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        kwargs = super().get_import_resource_kwargs(request, **kwargs)
        user = request.user
        if not user.is_superuser:
            kwargs["branch_code"] = user.branch.code if user.branch else "-"
        return kwargs
