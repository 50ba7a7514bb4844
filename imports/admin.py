from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from import_export.admin import ExportMixin, ImportExportMixin

from brokercrm.admin import BranchScopedAdmin
from clients.permissions import may_import_in_admin

from .forms import UploadForm
from .models import ImportBatch, ImportKind
from .services import batch_upload
from .tasks import import_batch_run_task


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


class BranchFileImportMixin(BranchImportExportMixin):
    """The admin's Import for a kind of back-office file: the one import service.

    The upload is checked by the same service as `import_file` and the import pages (a
    dry-run batch: every check, row-numbered errors), then the import pages show its
    preview, confirm it (all or nothing, or the valid rows) and keep its report.
    django-import-export only exports these models: its own write path is closed.
    """

    import_kind = ""  # an ImportKind

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = UploadForm(
            request.POST or None,
            request.FILES or None,
            user=request.user,
            initial={"kind": self.import_kind},
        )
        form.fields["kind"].disabled = True
        if request.method == "POST" and form.is_valid():
            batch = batch_upload(
                branch=form.cleaned_data.get("branch") or request.user.branch,
                upload=form.cleaned_data["file"],
                kind=self.import_kind,
                mode=form.cleaned_data["mode"],
                partial=form.cleaned_data["partial"],
                user=request.user,
            )
            import_batch_run_task.delay_on_commit(batch.pk)
            return redirect("imports:detail", pk=batch.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import: %(kind)s")
            % {"kind": ImportKind(self.import_kind).label},
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(
            request,
            "admin/imports/upload.html",
            context,
            status=400 if request.method == "POST" else 200,
        )

    def process_import(self, request, **kwargs):
        """django-import-export's confirm step writes rows itself: not for these."""
        raise PermissionDenied


class BranchExportMixin(ExportMixin):
    """Export only: for tables derived from others (TradeDay), never written by hand."""

    def has_export_permission(self, request):
        return self.has_view_permission(request)
