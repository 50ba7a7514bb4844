"""Import pages for branch admins: upload → preview → confirm → progress → history.

Thin doors: the preview is the import service's dry run, the import itself is a Celery
task running the same service, and every page reads through imports.selectors.
"""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from brokercrm.doors import or_404
from clients.masking import mask_id_number, mask_phone, mask_text
from clients.permissions import may_import

from .forms import UploadForm
from .selectors import batch_get, batch_list
from .services import batch_confirm, batch_previewed, batch_upload, batches_expire
from .services.reading import FileRejected, open_table, scan
from .services.report import report_csv
from .tasks import import_batch_run_task, progress_key

PREVIEW_ROWS = 10
SHOWN_ERRORS = 1000


def _admin(request):
    if not may_import(request.user):
        raise PermissionDenied


@login_required
def batch_list_view(request):
    """The upload form above the branch's import history."""
    batches_expire()  # a batch whose process died shows as failed, to import again
    batches = batch_list(user=request.user)
    form = UploadForm(user=request.user) if may_import(request.user) else None
    return render(
        request,
        "imports/batch_list.html",
        {"batches": batches[:100], "form": form},
    )


@login_required
@require_POST
def upload_view(request):
    """Store the file and queue its check (a dry run): the preview is its report."""
    _admin(request)
    form = UploadForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        batches = batch_list(user=request.user)[:100]
        return render(
            request,
            "imports/batch_list.html",
            {"batches": batches, "form": form},
            status=400,
        )
    batch = batch_upload(
        branch=form.cleaned_data.get("branch") or request.user.branch,
        upload=form.cleaned_data["file"],
        kind=form.cleaned_data["kind"] or None,
        mode=form.cleaned_data["mode"],
        partial=form.cleaned_data["partial"],
        user=request.user,
    )
    # A big file takes a while to check: the check is a task too, and the page polls.
    import_batch_run_task.delay_on_commit(batch.pk)
    return redirect("imports:detail", pk=batch.pk)


@login_required
def batch_detail_view(request, pk: int):
    """A batch: the preview of a checked file, or the progress and report of an import."""
    batches_expire()
    batch = or_404(batch_get, user=request.user, pk=pk)
    first_rows, header = [], []
    if batch_previewed(batch):
        try:
            table, _ = open_table(batch.file_path, scan(batch.file_path), batch.kind)
            header = table.header
            first_rows = _masked(table, table.first_rows(PREVIEW_ROWS))
        except (FileRejected, OSError):
            pass
    return render(
        request,
        "imports/batch_detail.html",
        {
            "batch": batch,
            "header": header,
            "first_rows": first_rows,
            "errors": batch.error_lines()[:SHOWN_ERRORS],
            "more_errors": max(len(batch.errors) - SHOWN_ERRORS, 0),
            "can_confirm": may_import(request.user) and batch_previewed(batch),
            "progress": _progress(batch),
        },
    )


@login_required
@require_POST
def confirm_view(request, pk: int):
    """Import a previewed file for real, as a Celery task."""
    _admin(request)
    preview = or_404(batch_get, user=request.user, pk=pk)
    if not batch_previewed(preview):
        raise PermissionDenied
    batch = batch_confirm(
        user=request.user,
        preview=preview,
        partial=request.POST.get("partial") == "1",
    )
    import_batch_run_task.delay_on_commit(batch.pk)
    return redirect("imports:detail", pk=batch.pk)


@login_required
def progress_view(request, pk: int):
    """The htmx fragment polled while a batch runs; the report once it is done."""
    batches_expire()
    batch = or_404(batch_get, user=request.user, pk=pk)
    if batch.is_finished and request.GET.get("reload"):
        # The page was drawn before the batch finished: show it whole (preview,
        # errors, confirm button), not just this fragment.
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "imports/_progress.html",
        {"batch": batch, "progress": _progress(batch)},
    )


@login_required
def report_view(request, pk: int):
    """A batch's report as CSV: the counts, then every bad row."""
    batches_expire()
    batch = or_404(batch_get, user=request.user, pk=pk)
    response = HttpResponse(
        "\ufeff" + report_csv(batch), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}.csv"'
    return response


#: The columns of personal data, masked whole in the preview (SPEC §7).
PERSONAL_COLUMNS = {"id_number": mask_id_number, "phone": mask_phone}


def _masked(table, rows) -> list[list[str]]:
    """The preview's cells: ID and phone columns masked, and any such number in the
    other cells too (a file whose header was not recognised)."""
    maskers = {
        i: PERSONAL_COLUMNS[name]
        for i, name in table.mapping.items()
        if name in PERSONAL_COLUMNS
    }
    return [
        [maskers.get(i, mask_text)(str(cell)) for i, cell in enumerate(row)]
        for row in rows
    ]


def _progress(batch) -> int:
    if batch.is_finished:
        return 100
    done = cache.get(progress_key(batch.pk)) or 0.0
    return int(min(max(done, 0.0), 1.0) * 100)
