"""The SPEC §5 `export_kpis` CSV: advisors by employee_no then the branch row."""

from __future__ import annotations

import csv
from decimal import Decimal

from .models import AdvisorKpi
from .scoring import KPI_COLUMNS

EXPORT_COLUMNS = ["month", "employee_no", *KPI_COLUMNS]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """Empty for null; decimals as stored (their places fixed by the model)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def safe_text(value: str) -> str:
    """A text cell that a spreadsheet shows and never executes."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def kpi_export_row(row: AdvisorKpi) -> list[str]:
    values = [row.month.strftime("%Y-%m"), safe_text(row.employee_no)]
    values += [cell(getattr(row, column)) for column in EXPORT_COLUMNS[2:]]
    return values


def kpi_export_write(*, rows, stream) -> int:
    """Advisors by employee_no (code point order, whatever the database's
    collation), then the branch row."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in sorted(rows, key=lambda r: (r.employee_no == "*", r.employee_no)):
        writer.writerow(kpi_export_row(row))
        count += 1
    return count
