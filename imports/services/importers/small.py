"""The small kinds' base: read whole (they name each other's rows), written with the
ORM; and the one create-or-update helper (`_update`: empty cells never overwrite)."""

from datetime import date

import numpy as np
import pandas as pd

from ..checks import Rows, find_duplicates
from ..writing import Counts
from .base import Importer


class SmallImporter(Importer):
    """Validates the whole file at close(); `self.rows` and `self.good` hold the result."""

    def __init__(self, ctx, errors):
        super().__init__(ctx, errors)
        self.frames: list[pd.DataFrame] = []
        self.rows: Rows | None = None

    def add(self, chunk):
        self.frames.append(chunk)

    def abort(self):
        pass

    def count(self, mode: str) -> Counts:
        # Small files: write inside the import's transaction, which is rolled back.
        return self.write(mode)

    def close(self):
        frame = (
            pd.concat(self.frames, ignore_index=True)
            if self.frames
            else pd.DataFrame({"_line": pd.Series([], dtype=int)})
        )
        self.frames = []
        self.rows = Rows(frame, self.errors)
        self.values = self.prepare(self.rows)
        self.total = self.rows.n
        self.failed = int(self.rows.bad.sum())

    def prepare(self, rows: Rows) -> pd.DataFrame:
        raise NotImplementedError

    def unique(self, rows: Rows, frame: pd.DataFrame, columns: list[str]) -> None:
        """Report rows repeating the natural key of an earlier row of the file."""
        keys = frame[columns]
        usable = ~rows.bad
        repeated = find_duplicates(keys[usable], rows.lines[usable])
        if repeated:
            position = {line: i for i, line in enumerate(rows.lines)}
            label = "+".join(self.spec.key)
            rows.fail_rows(
                [position[line] for line, _ in repeated],
                label,
                "duplicate",
                [{"first": first} for _, first in repeated],
            )

    def good(self) -> list[dict]:
        frame = self.values[~self.rows.bad]
        return frame.to_dict("records")


def _set(obj, field: str, value, *, upsert: bool) -> bool:
    """Set a field from a file cell: empty cells never overwrite. True if it changed."""
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return False
    if getattr(obj, field) == value:
        return False
    setattr(obj, field, value)
    return True


def _update(obj, row: dict, fields) -> bool:
    """Apply every non-empty cell of `fields` to obj; True if any value changed."""
    changed = False
    for f in fields:
        changed |= _set(obj, f, row[f], upsert=True)
    return changed


def _date(text: str):
    return date.fromisoformat(text) if text else None
