"""The words of the import messages, in the reader's language.

The import service records what went wrong as a code and its parameters (a bad cell:
line, column, code, parameters; a batch: `message_code`, `message_params`); the pages,
the report and the command turn them into words here, with gettext, when they show
them. A message recorded before codes existed is plain text and is shown as it is.
"""

from django.apps import apps
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ROW_MESSAGES = {
    "extra_cells": _("has more cells than the header (extra: %(value)s)"),
    "required": _("is required"),
    "too_long": _('"%(value)s" is longer than %(limit)s characters'),
    "not_a_date": _('"%(value)s" is not a date (YYYY-MM-DD, YYYYMMDD or YYYY/MM/DD)'),
    "in_future": _("%(value)s is in the future"),
    "not_a_number": _('"%(value)s" is not a number'),
    "not_whole": _('"%(value)s" is not a whole number'),
    "negative": _('"%(value)s" must not be negative'),
    "below": _('"%(value)s" must be at least %(minimum)s'),
    "above": _('"%(value)s" must be at most %(maximum)s'),
    "too_large": _('"%(value)s" is too large'),
    "not_one_of": _('"%(value)s" is not one of %(allowed)s'),
    "unknown_account": _("unknown account %(value)s"),
    "unknown_security": _("unknown security %(value)s"),
    "unknown_client": _("unknown client %(value)s"),
    "unknown_advisor": _("unknown advisor %(value)s"),
    "duplicate": _("duplicate of line %(first)s"),
    "amount_mismatch": _(
        "%(amount)s is not quantity × price (%(quantity)s × %(price)s = %(expected)s)"
    ),
    "not_an_email": _('"%(value)s" is not an email'),
    "before_opening": _("%(value)s is before the opening date"),
    "self_referral": _("a client cannot refer themself"),
    "account_of_other_client": _("account %(account)s belongs to client %(client)s"),
    "account_repeated": _("account already on line %(first)s"),
}

BATCH_MESSAGES = {
    # the file as a whole (FileRejected)
    "too_big": _(
        "the file is %(size)s bytes, over the import limit of %(limit)s bytes"
    ),
    "not_text": _("the file is neither UTF-8 nor GBK/GB18030 text, nor XLSX"),
    "csv_unreadable": _("the CSV cannot be read: %(detail)s"),
    "no_header": _("the file has no header row"),
    "unknown_kind": _(
        "cannot tell which kind of file this is from its columns: %(header)s"
    ),
    "same_column": _(
        'columns "%(first)s" and "%(second)s" both mean %(name)s; keep one'
    ),
    "missing_columns": _(
        "a %(kind)s file needs the column(s) %(missing)s; found: %(header)s"
    ),
    "shared_kind": _(
        "a %(kind)s file holds data shared by every branch: only head office's system "
        "administrator imports it"
    ),
    "xlsx_invalid": _("the file looks like XLSX but is not a valid one"),
    "xlsx_parts": _("the XLSX file has too many parts: refused as a zip bomb"),
    "xlsx_part_bomb": _(
        "the XLSX part %(part)s inflates %(size)s bytes from %(compressed)s: refused "
        "as a zip bomb"
    ),
    "xlsx_too_big": _(
        "the XLSX file inflates to %(size)s bytes, over %(limit)s: refused"
    ),
    "xlsx_needs_defusedxml": _("XLSX import needs defusedxml installed"),
    "xlsx_unreadable": _("the XLSX file cannot be read: %(detail)s"),
    # the outcome of a batch
    "already_imported": _(
        "already imported: the same file was imported on %(when)s (batch %(batch)s); "
        "nothing to do"
    ),
    "rejected": _("%(failed)s of %(total)s rows are bad: nothing was written"),
    "dry_run": _("dry run: the file was checked and nothing was written"),
    "dry_run_seen": _(
        "dry run: the file was checked and nothing was written (already imported: "
        "the same file was imported on %(when)s (batch %(batch)s))"
    ),
    "partial": _("%(failed)s bad rows left out; the valid rows were imported"),
    "stopped": _(
        "The process running this import stopped (no heartbeat); nothing was "
        "written. Import the file again."
    ),
}


def _render(words, params) -> str:
    params = dict(params or {})
    if "kind" in params:
        # A kind of file is named in the reader's language, as the pages name it (the
        # batch model's choices: imports.models reads this module, not the reverse).
        kinds = apps.get_model("imports", "ImportBatch")._meta.get_field("kind")
        params["kind"] = dict(kinds.choices).get(params["kind"], params["kind"])
    try:
        return str(words) % params
    except (KeyError, TypeError, ValueError):
        return str(words)


def reason_text(code: str, params: dict | None = None) -> str:
    """A bad cell's reason in the active language (plain text is shown as it is)."""
    words = ROW_MESSAGES.get(code)
    return code if words is None else _render(words, params)


def error_text(line, column, code, params=None) -> str:
    """`line N, column: reason` for one recorded error, in the active language."""
    reason = reason_text(code, params)
    if line is None:
        return f"{column}: {reason}" if column else reason
    return gettext("line %(line)s, %(column)s: %(reason)s") % {
        "line": line,
        "column": column,
        "reason": reason,
    }


def message_text(code: str, params: dict | None = None, detail: str = "") -> str:
    """A batch's message in the active language; `detail` is text no code names."""
    words = BATCH_MESSAGES.get(code)
    if words is None:
        return detail
    return _render(words, params)
