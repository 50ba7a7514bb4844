"""The big kinds' base: each chunk is validated and staged (or written) as it is read,
and only natural keys stay in memory."""

import numpy as np
import pandas as pd

from ..checks import Rows, find_duplicates
from ..writing import ALL, Counts, Target, writer_for
from .base import Importer


class BigImporter(Importer):
    target: Target
    key: list[str]  # database columns of the natural key
    # A natural key that is one text column of the file (trade_id, flow_id): in insert
    # mode, rows whose key is already stored are skipped before they are validated.
    text_key: str | None = None

    # Columns whose distinct values write() asks the writer for.
    tracked: tuple[str, ...] = ()

    def __init__(self, ctx, errors):
        super().__init__(ctx, errors)
        # Insert mode with a text key: each chunk's keys are checked against the
        # stored ones and the file's earlier ones as it comes, so every row that
        # reaches the writer is new and (outside a dry run) is COPYed straight in.
        self.streamed = bool(self.text_key) and ctx.mode == "insert"
        self.writer = writer_for(
            self.target,
            direct=self.streamed and not ctx.dry_run,
            track=self.tracked,
        )
        self.keys: list[pd.DataFrame] = []
        self.known = 0  # rows skipped because their key was already stored
        # Streamed: the file's keys so far (with their lines, for the messages).
        self.seen: list[pd.DataFrame] = []
        self.seen_keys: set[str] | None = None  # built once key ranges overlap
        self.ranges: list[tuple[str, str]] = []  # each chunk's lowest, highest key

    def prepare(self, rows: Rows) -> pd.DataFrame:
        raise NotImplementedError

    def add(self, chunk: pd.DataFrame) -> None:
        self.total += len(chunk)
        known_keys = None
        if self.text_key and self.ctx.mode == "insert" and len(chunk):
            # Re-importing only has to find that the rows exist: one index lookup
            # per key, and no parsing of the rest of the row.
            keys = chunk[self.text_key]
            stored = self.writer.existing(
                self.text_key, keys.tolist(), {"branch_id": self.ctx.branch.id}
            )
            if stored:
                known = (
                    np.ones(len(keys), dtype=bool)
                    if stored is ALL
                    else keys.isin(stored).to_numpy()
                )
                self.known += int(known.sum())
                known_keys = pd.DataFrame(
                    {"_line": chunk["_line"][known], self.text_key: keys[known]}
                ).assign(_known=True)
                chunk = chunk[~known].reset_index(drop=True)
        rows = Rows(chunk, self.errors)
        frame = self.prepare(rows)
        frame.insert(0, "_line", rows.lines)
        self.failed += int(rows.bad.sum())
        good = frame[~rows.bad] if rows.bad.any() else frame
        keys = good[["_line", *self.key]].assign(_known=False)
        if known_keys is not None:
            keys = pd.concat([known_keys, keys], ignore_index=True)
        if self.streamed:
            good = self.unrepeated(good, keys)
        else:
            self.keys.append(keys)
        self.adding(good)
        self.writer.add(good)

    def adding(self, good: pd.DataFrame) -> None:
        """Hook: the valid new rows of a chunk, on their way to the writer."""

    def unrepeated(self, good: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
        """The chunk's good rows less those repeating a key of an earlier line.

        An earlier line is in this chunk or any before it; every repeat is reported
        as a bad row, and only the first line of a key is ever written.
        """
        if keys["_known"].any():  # known rows first: back in the file's order
            keys = keys.sort_values("_line", kind="stable", ignore_index=True)
        values = keys[self.text_key].to_numpy(dtype=object)
        maybe = keys[self.text_key].duplicated(keep="first").to_numpy()
        if len(values):
            # Files of ascending keys: a chunk whose keys lie beyond every earlier
            # key cannot repeat one, and its keys need not be kept in a set.
            low, high = min(values), max(values)
            self.ranges.append((low, high))
            if self.seen_keys is None and any(
                low <= top and bottom <= high for bottom, top in self.ranges[:-1]
            ):
                self.seen_keys = set()
                for earlier in self.seen:
                    self.seen_keys.update(earlier[self.text_key].tolist())
        seen = self.seen_keys
        if seen is not None:
            maybe = maybe | np.fromiter(
                map(seen.__contains__, values), bool, len(values)
            )
        if maybe.any():
            # Rare: the first line of each repeated key, from the keys so far.
            earlier = pd.concat([*self.seen, keys], ignore_index=True)
            repeated = find_duplicates(
                earlier[[self.text_key]], earlier["_line"].to_numpy()
            )
            label = "+".join(self.spec.key)
            for line, first in repeated:
                self.errors.append((line, label, "duplicate", {"first": first}))
            self.failed += len(repeated)
            lines = [line for line, _ in repeated]
            out = keys["_line"].isin(lines).to_numpy()
            self.known -= int(keys["_known"].to_numpy()[out].sum())
            keys, values = keys[~out], values[~out]
            good = good[~good["_line"].isin(lines).to_numpy()]
        self.seen.append(keys[["_line", self.text_key]])
        if seen is not None:
            seen.update(values.tolist())
        return good

    def close(self) -> None:
        self.writer.end()
        if not self.keys:
            return
        keys = pd.concat(self.keys, ignore_index=True)
        self.keys = []
        repeated = find_duplicates(keys[self.key], keys["_line"].to_numpy())
        label = "+".join(self.spec.key)
        for line, first in repeated:
            self.errors.append((line, label, "duplicate", {"first": first}))
        self.failed += len(repeated)
        if repeated:
            lines = [line for line, _ in repeated]
            self.known -= int(keys.loc[keys["_line"].isin(lines), "_known"].sum())
            self.writer.drop(lines)

    def count(self, mode: str) -> Counts:
        """A dry run: the counts write() would give, with nothing written."""
        self.writer.checked = bool(self.text_key) and mode == "insert"
        counts = self.writer.count(mode)
        counts.skipped += self.known
        return counts

    def write(self, mode: str) -> Counts:
        self.writer.checked = bool(self.text_key) and mode == "insert"
        counts = self.writer.write(mode)
        counts.skipped += self.known
        return counts

    def abort(self) -> None:
        self.writer.abort()
