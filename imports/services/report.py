"""A batch's report as text (the command) and as CSV (the download)."""

import csv
import io

from django.utils.translation import pgettext

from ..messages import error_text, reason_text
from ..models import ImportBatch


def report_text(batch: ImportBatch) -> str:
    """new / updated / skipped / failed, then every bad row as `line N, column: reason`."""
    lines = [
        f"{batch.kind or '?'} {batch.file_name}: {batch.get_status_display()}",
        f"encoding: {batch.encoding or '-'}; sha256: {batch.sha256 or '-'}",
        f"columns: {', '.join(batch.matched_columns) or '-'}",
    ]
    if batch.ignored_columns:
        lines.append(f"ignored columns: {', '.join(batch.ignored_columns)}")
    lines.append(
        f"rows: {batch.rows_total} new: {batch.rows_new} updated: {batch.rows_updated} "
        f"skipped: {batch.rows_skipped} failed: {batch.rows_failed}"
    )
    if batch.duration_s is not None:
        lines.append(f"duration: {batch.duration_s:.2f}s")
    if batch.message_text():
        lines.append(batch.message_text())
    lines.extend(error_text(*e) for e in batch.errors)
    return "\n".join(lines)


def report_csv(batch: ImportBatch) -> str:
    """The batch's summary and every bad row, as a CSV an admin opens in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            pgettext("import report", "batch"),
            pgettext("import report", "kind"),
            pgettext("import report", "file"),
            "sha256",
            pgettext("import report", "status"),
            pgettext("import report", "rows"),
            pgettext("import report", "new"),
            pgettext("import report", "updated"),
            pgettext("import report", "skipped"),
            pgettext("import report", "failed"),
            "duration_s",
            pgettext("import report", "message"),
        ]
    )
    writer.writerow(
        [
            batch.pk,
            batch.kind,
            _safe(batch.file_name),
            batch.sha256,
            batch.status,
            batch.rows_total,
            batch.rows_new,
            batch.rows_updated,
            batch.rows_skipped,
            batch.rows_failed,
            batch.duration_s,
            _safe(batch.message_text()),
        ]
    )
    writer.writerow([])
    writer.writerow([pgettext("import report", "encoding"), batch.encoding])
    writer.writerow(
        [pgettext("import report", "matched columns"), *batch.matched_columns]
    )
    writer.writerow(
        [
            pgettext("import report", "ignored columns"),
            *(_safe(c) for c in batch.ignored_columns),
        ]
    )
    writer.writerow([])
    writer.writerow(
        [
            pgettext("import report", "line"),
            pgettext("import report", "column"),
            pgettext("import report", "reason"),
        ]
    )
    for line, column, *reason in batch.errors:
        writer.writerow([line, column, _safe(reason_text(*reason))])
    return out.getvalue()


def _safe(text) -> str:
    """Escape a spreadsheet formula prefix so the cell is shown, never executed."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
