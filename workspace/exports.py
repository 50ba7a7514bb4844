"""The filtered book as CSV or XLSX: formula-safe, personal data masked (SPEC §7)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from clients.masking import mask_id_number, mask_phone
from tiers.labels import code_label

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """Text that a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _header() -> list[str]:
    return [
        _("Client no."),
        _("Name"),
        _("Phone"),
        _("ID number"),
        _("Advisor"),
        _("Tier"),
        _("Segment"),
        _("Value score"),
        _("Assets"),
        _("Churn risk"),
        _("Open flags"),
        _("Last contact"),
        _("Relationship"),
    ]


def _row(c) -> list:
    return [
        c.client_no,
        c.name,
        mask_phone(c.phone),
        mask_id_number(c.id_number),
        c.advisor.name if c.advisor_id else "",
        str(code_label(c.tier, "tier")),
        str(code_label(c.segment, "segment")),
        c.value_score,
        c.assets,
        c.churn_risk,
        c.flag_codes or "",
        c.last_contact.isoformat() if c.last_contact else "",
        c.get_relationship_level_display(),
    ]


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows, csv_module):
    """Stream the rows as CSV lines (a UTF-8 BOM first, for spreadsheet programs)."""
    writer = csv_module.writer(_Echo())
    yield "\ufeff" + writer.writerow([safe(h) for h in _header()])
    for c in rows.iterator(chunk_size=2000):
        yield writer.writerow(["" if v is None else safe(v) for v in _row(c)])


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Clients"))
    sheet.append(_header())
    for c in rows.iterator(chunk_size=2000):
        sheet.append([safe(v) for v in _row(c)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
