"""Vectorised cell checks: each parses one column of a chunk and reports its bad cells.

A check looks at every value at once (pandas), and only records the cells that fail,
each as (line, column, code, parameters): `imports.messages` words them in the reader's
language when they are shown, so a million good rows cost a few array operations, not a million calls.
Values that repeat (dates, account numbers, codes) are parsed once per distinct value.
"""

import datetime as dt

import numpy as np
import pandas as pd
from django.utils import timezone

from .kinds import normalize_header
from .reading import EXTRA

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
MAX_MESSAGES = 100_000


class Rows:
    """One chunk under validation: its cells, its line numbers and what went wrong."""

    def __init__(self, frame: pd.DataFrame, errors: list):
        # The cells as plain Python strings (object columns): comparing, factorising
        # and parsing them costs far less than through pandas' string dtype.
        self.frame = frame.astype({c: object for c in frame.columns if c != "_line"})
        self.lines = frame["_line"].to_numpy()
        self.n = len(frame)
        self.bad = np.zeros(self.n, dtype=bool)
        self.errors = errors
        self._empty: dict[str, np.ndarray] = {}
        if EXTRA in self.frame.columns:
            # A row with more cells than the header: its cells may be shifted.
            self.fail((self.frame[EXTRA] != "").to_numpy(), EXTRA, "extra_cells")
            self.frame = self.frame.drop(columns=[EXTRA])

    def empty(self, column: str) -> np.ndarray:
        """Which cells of a column are empty (worked out once per column)."""
        if column not in self._empty:
            self._empty[column] = (self.raw(column) == "").to_numpy()
        return self._empty[column]

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def raw(self, column: str) -> pd.Series:
        if column in self.frame.columns:
            return self.frame[column]
        return pd.Series([""] * self.n, index=self.frame.index, dtype=str)

    def fail(self, mask, column: str, code: str, **params) -> None:
        """Mark rows bad with the code of what is wrong; its parameters are `params`
        and the cell's own (shortened) raw `value`."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        where = np.flatnonzero(mask)
        values = self.raw(column).to_numpy()[where]
        for i, value in zip(where, values, strict=True):
            if len(self.errors) >= MAX_MESSAGES:
                break
            self.errors.append(
                (int(self.lines[i]), column, code, {"value": _short(value), **params})
            )

    def fail_rows(self, where, column: str, code: str, params) -> None:
        """Mark the rows at positions `where` bad, each with its own parameters."""
        where = np.asarray(where)
        if not len(where):
            return
        self.bad[where] = True
        for i, values in zip(where, params, strict=True):
            if len(self.errors) >= MAX_MESSAGES:
                break
            self.errors.append((int(self.lines[i]), column, code, values))

    def required(self, column: str) -> np.ndarray:
        empty = self.empty(column)
        self.fail(empty, column, "required")
        return empty

    def text(self, column: str, max_length: int, *, required=False) -> pd.Series:
        values = self.raw(column)
        if required:
            self.required(column)
        if max_length:
            cells = values.to_numpy(dtype=object)
            lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
            too_long = lengths > max_length
            self.fail(too_long, column, "too_long", limit=max_length)
        return values

    def date(self, column: str, *, required=False, not_future=False) -> pd.Series:
        """Dates as `YYYY-MM-DD` strings ('' when empty); other forms are normalised."""
        values = self.raw(column)
        codes, uniques = pd.factorize(values)
        parsed = np.array([_parse_date(u) for u in uniques], dtype=object)
        out = np.empty(len(uniques), dtype=object)
        bad_unique = np.zeros(len(uniques), dtype=bool)
        future_unique = np.zeros(len(uniques), dtype=bool)
        today = _today()
        for i, (u, d) in enumerate(zip(uniques, parsed, strict=True)):
            if u == "":
                out[i] = ""
            elif d is None:
                bad_unique[i] = True
                out[i] = ""
            else:
                out[i] = d.isoformat()
                future_unique[i] = not_future and d > today
        if required:
            self.required(column)
        self.fail(
            bad_unique[codes] if len(uniques) else np.zeros(self.n, bool),
            column,
            "not_a_date",
        )
        if not_future and len(uniques):
            self.fail(future_unique[codes], column, "in_future")
        result = out[codes] if len(uniques) else np.array([], dtype=object)
        return pd.Series(result, index=values.index, dtype=str)

    def number(
        self,
        column: str,
        *,
        required=False,
        minimum: float | None = None,
        maximum: float | None = None,
        max_digits: int = 18,
        places: int = 2,
        integer: bool = False,
    ) -> tuple[pd.Series, pd.Series]:
        """(float values for checks, clean text for the database); NaN/'' when empty."""
        values = self.raw(column)
        numbers = _to_numbers(values)
        empty = self.empty(column)
        missed = np.isnan(numbers.to_numpy()) & ~empty
        if missed.any():  # thousands separators: 1,234.50
            values = values.copy()
            values[missed] = values[missed].str.replace(",", "", regex=False)
            numbers[missed] = pd.to_numeric(values[missed], errors="coerce")
        if required:
            self.required(column)
        floats = numbers.to_numpy()
        not_number = np.isnan(floats) & ~empty
        not_number |= np.isinf(floats)
        self.fail(not_number, column, "not_a_number")
        ok = ~np.isnan(floats) & ~np.isinf(floats)
        if integer:
            fractional = ok & (np.floor(floats) != floats)
            self.fail(fractional, column, "not_whole")
        if minimum is not None:
            below = ok & (floats < minimum)
            if minimum == 0:
                self.fail(below, column, "negative")
            else:
                self.fail(below, column, "below", minimum=f"{minimum:g}")
        if maximum is not None:
            above = ok & (floats > maximum)
            self.fail(above, column, "above", maximum=f"{maximum:g}")
        limit = 10.0 ** (max_digits - places)
        huge = ok & (np.abs(floats) >= limit)
        self.fail(huge, column, "too_large")
        ok &= ~huge
        if integer:
            whole = numbers.where(ok).round().astype("Int64").astype(str)
            values = values.where(~ok, whole)
        return numbers, values.where(ok, "")

    def choice(
        self, column: str, mapping: dict[str, str], *, required=False, default=""
    ) -> pd.Series:
        """Codes from English codes or Chinese words; '' → default."""
        values = self.raw(column)
        codes, uniques = pd.factorize(values)
        if not len(uniques):
            return pd.Series([], dtype=str)
        mapped = np.array(
            [default if u == "" else mapping.get(normalize_header(u)) for u in uniques],
            dtype=object,
        )
        unknown = np.array([m is None for m in mapped])
        if required:
            self.required(column)
        allowed = ", ".join(sorted(set(mapping.values())))
        self.fail(unknown[codes], column, "not_one_of", allowed=allowed)
        mapped[unknown] = ""
        return pd.Series(mapped[codes], index=values.index, dtype=str)

    def lookup(
        self, column: str, ids: dict[str, int], what: str, *, required=False
    ) -> np.ndarray:
        """Ids (int64, -1 for none) of the references in a column; unknown ones fail."""
        values = self.raw(column)
        codes, uniques = pd.factorize(values)
        if not len(uniques):
            return np.array([], dtype=np.int64)
        found = np.array([ids.get(u, -1) for u in uniques], dtype=np.int64)
        empty = np.array([u == "" for u in uniques])
        if required:
            self.required(column)
        unknown = (found == -1) & ~empty
        self.fail(unknown[codes], column, f"unknown_{what}")
        return found[codes]


def find_duplicates(keys: pd.DataFrame, lines: np.ndarray) -> list[tuple[int, int]]:
    """(line, first line) of every row whose key repeats an earlier row's."""
    repeated = keys.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return []
    columns = list(keys.columns)
    keyed = keys.reset_index(drop=True).assign(_line=lines)
    firsts = keyed.drop_duplicates(subset=columns, keep="first")
    later = keyed[repeated].merge(
        firsts, on=columns, how="left", suffixes=("", "_first")
    )
    return list(
        zip(
            later["_line"].astype(int).tolist(),
            later["_line_first"].astype(int).tolist(),
            strict=True,
        )
    )


def _to_numbers(values: pd.Series) -> pd.Series:
    """Floats of a text column, NaN where not a number; repeated values parsed once."""
    head = values.iloc[:5000]
    if len(values) > 20_000 and head.nunique() < len(head) // 4:
        codes, uniques = pd.factorize(values)
        parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce")
        floats = parsed.astype("float64").to_numpy()[codes]
        return pd.Series(floats, index=values.index)
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _parse_date(text: str) -> dt.date | None:
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def _today() -> dt.date:
    return timezone.localdate()


def _short(value, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
