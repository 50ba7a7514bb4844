"""Opening a back-office file: size limit, checksum, encoding, XLSX guard, header, chunks.

Everything here works on the file as bytes or as text cells; what the cells mean is the
kinds' business. Each chunk is a DataFrame of stripped strings with canonical column
names and a `_line` column: the line (CSV) or row (XLSX) number a user sees in the file.
"""

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import queue
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.conf import settings

from .kinds import KINDS, normalize_header

CHUNK_ROWS = 100_000
XLSX_CHUNK_ROWS = 20_000
BLOCK = 1 << 20
# A worksheet's XML compresses well, but not this well: anything beyond is a zip bomb.
XLSX_MAX_RATIO = 200
XLSX_MAX_ENTRIES = 2_000

# Byte pairs that mean some cell has a leading or trailing space (or a block edge cut
# one: the check is only a shortcut, so a miss at a 1 MiB boundary just strips).
PADDING = (b" ,", b", ", b" \n", b" \r", b"\t ", b" \t", b"\n ")

# A column every chunk carries: non-empty when the row has more cells than the header
# (the checks then report the row as bad, with its line number).
EXTRA = "_extra"

ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 BOM", "gb18030": "GBK/GB18030"}


class FileRejected(Exception):
    """The file as a whole cannot be imported (too big, unreadable, wrong columns).

    `code` and `params` say why; `imports.messages` words it for the reader.
    """

    def __init__(self, code: str, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


@dataclass
class Scan:
    """What one pass over the raw bytes learns: size, checksum, format and encoding."""

    size: int
    sha256: str
    format: str  # "csv" or "xlsx"
    encoding: str = ""  # codec name for CSV files
    padded: bool = True  # a space next to a delimiter or line end somewhere
    quoted: bool = True  # a double quote somewhere: a cell may span lines


def check_size(path: str) -> int:
    """Refuse a file over settings.IMPORT_MAX_FILE_BYTES before reading any of it."""
    size = os.path.getsize(path)
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise FileRejected("too_big", size=f"{size:,}", limit=f"{limit:,}")
    return size


def scan(path: str) -> Scan:
    """Size limit, sha256 and (for CSV) the encoding, in one pass over the bytes."""
    size = check_size(path)
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    gb = codecs.getincrementaldecoder("gb18030")()
    utf8_ok = gb_ok = True
    padded = quoted = False
    with open(path, "rb") as f:
        head = f.read(BLOCK)
        is_zip = head.startswith(b"PK\x03\x04")
        bom = head.startswith(codecs.BOM_UTF8)
        block = head
        while block:
            digest.update(block)
            if not padded:
                # Every pair holds a space: most files have none, found by one memchr.
                padded = b" " in block and any(p in block for p in PADDING)
            if not quoted:
                quoted = b'"' in block
            if not is_zip and utf8_ok:
                try:
                    utf8.decode(block)
                except UnicodeDecodeError:
                    utf8_ok = False
            block = f.read(BLOCK)
        if not is_zip and utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
        if not is_zip and not utf8_ok:
            # Not UTF-8: Chinese broker exports are GBK, which GB18030 extends.
            f.seek(0)
            while block := f.read(BLOCK):
                try:
                    gb.decode(block)
                except UnicodeDecodeError:
                    gb_ok = False
                    break
    if is_zip:
        return Scan(size, digest.hexdigest(), "xlsx")
    if utf8_ok:
        encoding = "utf-8-sig" if bom else "utf-8"
        return Scan(size, digest.hexdigest(), "csv", encoding, padded, quoted)
    if gb_ok:
        return Scan(size, digest.hexdigest(), "csv", "gb18030", padded, quoted)
    raise FileRejected("not_text")


@dataclass
class Table:
    """An opened file: its header mapped to a kind's columns, and a chunk reader."""

    path: str
    scan: Scan
    header: list[str]
    mapping: dict[int, str] = field(default_factory=dict)  # position -> canonical
    ignored: list[str] = field(default_factory=list)
    delimiter: str = ","

    @property
    def encoding_label(self) -> str:
        if self.scan.format == "xlsx":
            return "XLSX"
        return ENCODING_LABELS.get(self.scan.encoding, self.scan.encoding)

    @property
    def matched(self) -> list[str]:
        return [self.mapping[i] for i in sorted(self.mapping)]

    def chunks(
        self,
        progress: Callable[[float], None] | None = None,
        *,
        exact_lines: bool = False,
    ) -> Iterator[pd.DataFrame]:
        """The data rows, CHUNK_ROWS at a time, as canonical-named string columns.

        pandas' reader numbers records, so a quoted cell spanning lines shifts the
        line numbers after it; `exact_lines` reads with the csv module instead,
        which knows the physical line of every record (slower: for small kinds,
        whose free-text cells are where such cells occur).
        """
        if self.scan.format == "xlsx":
            yield from self._xlsx_chunks(progress)
        elif exact_lines:
            yield from self._csv_exact_chunks(progress)
        else:
            yield from self._csv_chunks(progress)

    def _csv_exact_chunks(self, progress):
        positions = sorted(self.mapping)
        names = [*(f"c{i}" for i in positions), EXTRA]
        width = len(self.header)
        with open(self.path, encoding=self.scan.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            next(reader, None)
            buffer: list[list[str]] = []
            lines: list[int] = []
            start = reader.line_num + 1
            for row in reader:
                if any(cell.strip() for cell in row):
                    buffer.append(
                        [
                            *(row[i] if i < len(row) else "" for i in positions),
                            _extra_cells(row, width),
                        ]
                    )
                    lines.append(start)
                start = reader.line_num + 1
                if len(buffer) == CHUNK_ROWS:
                    yield self._exact_frame(buffer, names, lines)
                    buffer, lines = [], []
            if buffer:
                yield self._exact_frame(buffer, names, lines)
        if progress:
            progress(1.0)

    def _exact_frame(self, buffer, names, lines) -> pd.DataFrame:
        return self._frame(pd.DataFrame(buffer, columns=names, dtype=str), 0, lines)

    def _frame(self, frame: pd.DataFrame, first_line: int, lines=None) -> pd.DataFrame:
        frame = frame.rename(
            columns={f"c{i}": name for i, name in self.mapping.items()}
        )
        if self.scan.padded or self.scan.format == "xlsx":
            # Stripping is the slow part of reading: only when some cell needs it.
            for column in frame.columns:
                frame[column] = frame[column].str.strip()
        if lines is None:
            lines = np.arange(first_line, first_line + len(frame))
        frame.insert(0, "_line", np.asarray(lines))
        first = frame.columns[1] if len(frame.columns) > 1 else None
        if first is not None:
            maybe = (frame[first] == "").to_numpy()
            if maybe.any():
                blank = maybe & (frame.iloc[:, 1:] == "").all(axis=1).to_numpy()
                if blank.any():
                    frame = frame[~blank].reset_index(drop=True)
        return frame

    def _csv_chunks(self, progress):
        names = [f"c{i}" for i in range(len(self.header))]
        usecols = [f"c{i}" for i in sorted(self.mapping)]
        # pandas reads a row's extra cells without a word: find those rows first.
        overlong = self._overlong_lines()
        # Only a file with quotes can have a cell spanning lines; then every cell is
        # read, to count the line breaks that shift the records after them.
        spanning = self.scan.quoted
        if spanning:
            usecols = names
        with open(self.path, "rb") as raw:
            counted = _Counting(raw)
            try:
                reader = pd.read_csv(
                    counted,
                    encoding=self.scan.encoding,
                    sep=self.delimiter,
                    header=0,
                    names=names,
                    usecols=usecols,
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    skip_blank_lines=False,
                    chunksize=CHUNK_ROWS,
                    engine="c",
                )
                line = 2
                for chunk in _ramped(reader):
                    n = len(chunk)
                    lines = None
                    if spanning:
                        breaks = np.zeros(n, dtype=np.int64)
                        for column in chunk.columns:
                            cells = chunk[column]
                            if cells.str.contains("\n", regex=False).any():
                                breaks += cells.str.count("\n").to_numpy()
                        ends = line + np.arange(n) + np.cumsum(breaks)
                        lines = ends - breaks
                        chunk = chunk[
                            [c for c in chunk.columns if int(c[1:]) in self.mapping]
                        ]
                        line = int(ends[-1]) + 1 if n else line
                    frame = self._frame(chunk, line, lines)
                    if overlong:
                        bad = frame["_line"].isin(overlong).to_numpy()
                        frame[EXTRA] = np.where(bad, "…", "")
                    if lines is None:
                        line += n
                    if progress:
                        progress(counted.read_bytes / max(self.scan.size, 1))
                    yield frame
            except pd.errors.ParserError as exc:
                raise FileRejected("csv_unreadable", detail=str(exc)) from exc

    def _overlong_lines(self) -> set[int]:
        """Lines of the CSV whose record has non-empty cells beyond the header.

        Without quotes a record is a line and its cells are split by the delimiter
        byte (which no UTF-8 or GB18030 multi-byte character contains): numpy counts
        the delimiters of every line and only the lines with too many are looked at.
        With quotes the csv module reads the records.
        """
        width = len(self.header)
        found: set[int] = set()
        if self.scan.quoted:
            with open(self.path, encoding=self.scan.encoding, newline="") as f:
                reader = csv.reader(f, delimiter=self.delimiter)
                next(reader, None)
                start = reader.line_num + 1
                for row in reader:
                    if len(row) > width and _extra_cells(row, width):
                        found.add(start)
                    start = reader.line_num + 1
            return found
        delimiter = ord(self.delimiter)
        with open(self.path, "rb") as f:
            carry = b""
            line = 1
            while block := f.read(BLOCK):
                block = carry + block
                end = block.rfind(b"\n") + 1
                if end == 0:
                    carry = block
                    continue
                carry = block[end:]
                line = self._overlong_in(block[:end], line, width, delimiter, found)
            if carry:
                self._overlong_in(carry + b"\n", line, width, delimiter, found)
        found.discard(1)  # the header
        return found

    def _overlong_in(self, data: bytes, line: int, width, delimiter, found) -> int:
        """Add to `found` the overlong lines of whole lines `data` from `line` on."""
        array = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(array == 10)
        counts = np.cumsum(array == delimiter)[ends]
        per_line = np.diff(counts, prepend=0)
        for i in np.flatnonzero(per_line >= width):
            start = 0 if i == 0 else int(ends[i - 1]) + 1
            text = data[start : int(ends[i])].decode(self.scan.encoding, "replace")
            if _extra_cells(text.rstrip("\r").split(self.delimiter), width):
                found.add(line + int(i))
        return line + len(ends)

    def _xlsx_chunks(self, progress):
        rows = _xlsx_rows(self.path)
        next(rows, None)  # the header
        positions = sorted(self.mapping)
        names = [*(f"c{i}" for i in positions), EXTRA]
        width = len(self.header)
        buffer: list[list[str]] = []
        line = 2
        total = max(_xlsx_dimension_rows(self.path), 1)
        for row in rows:
            buffer.append(
                [
                    *(_cell(row[i]) if i < len(row) else "" for i in positions),
                    _extra_cells([_cell(v) for v in row[width:]], 0),
                ]
            )
            if len(buffer) == XLSX_CHUNK_ROWS:
                yield self._frame(pd.DataFrame(buffer, columns=names, dtype=str), line)
                line += len(buffer)
                buffer = []
                if progress:
                    progress(min(line / total, 1.0))
        if buffer:
            yield self._frame(pd.DataFrame(buffer, columns=names, dtype=str), line)

    def first_rows(self, n: int = 10) -> list[list[str]]:
        """The first data rows as they appear in the file, every column, for a preview."""
        if self.scan.format == "xlsx":
            rows = _xlsx_rows(self.path)
            next(rows, None)
            out = []
            for row in rows:
                out.append([_cell(v) for v in row])
                if len(out) == n:
                    break
            return out
        with open(self.path, encoding=self.scan.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            next(reader, None)
            out = []
            for row in reader:
                if any(cell.strip() for cell in row):
                    out.append(row)
                if len(out) == n:
                    break
            return out


def read_ahead(
    table: Table,
    progress: Callable[[float], None] | None = None,
    *,
    exact_lines: bool = False,
) -> Iterator[pd.DataFrame]:
    """`table.chunks()`, with the next chunk parsed in a thread while this one is
    checked and written (pandas' tokenizer and the database wait let go of the GIL).

    `progress` is still called from the caller's thread, as each chunk arrives.
    """
    handoff: queue.Queue = queue.Queue()
    # One chunk parsed ahead at most: the next is parsed once this one is taken.
    room = threading.Semaphore(1)
    stop = threading.Event()
    done: list[float] = []

    def work():
        try:
            chunks = table.chunks(done.append, exact_lines=exact_lines)
            while True:
                while not room.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                chunk = next(chunks, None)
                handoff.put((chunk, done[-1] if done else None, None))
                if chunk is None:
                    return
        except BaseException as exc:  # handed to the caller, raised there
            handoff.put((None, None, exc))

    thread = threading.Thread(target=work, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            chunk, fraction, exc = handoff.get()
            room.release()
            if exc is not None:
                raise exc
            if progress and fraction is not None:
                progress(fraction)
            if chunk is None:
                return
            yield chunk
    finally:
        stop.set()
        thread.join(timeout=5)


def _ramped(reader) -> Iterator[pd.DataFrame]:
    """The reader's chunks, the first few smaller: a writer sends each chunk while the
    next is checked, so a small first one sets the database to work sooner."""
    size = max(CHUNK_ROWS // 8, 1)
    while True:
        try:
            chunk = reader.get_chunk(size)
        except StopIteration:
            return
        if chunk.empty:
            return
        yield chunk
        size = min(size * 2, CHUNK_ROWS)


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read from it (for the progress bar)."""

    def __init__(self, raw):
        self.raw = raw
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self.raw.readinto(buffer)
        self.read_bytes += n or 0
        return n

    def read(self, size=-1):
        data = self.raw.read(size)
        self.read_bytes += len(data)
        return data


def open_table(path: str, file_scan: Scan, kind: str | None) -> tuple[Table, str]:
    """Read the header, decide the kind (given or detected) and map its columns."""
    if file_scan.format == "xlsx":
        guard_xlsx(path)
        header_row = next(_xlsx_rows(path), None)
        header = [_cell(v) for v in header_row] if header_row else []
        delimiter = ","
    else:
        with open(path, encoding=file_scan.encoding, newline="") as f:
            first = f.readline()
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        header = next(csv.reader([first], delimiter=delimiter), [])
    header = [h.lstrip("\ufeff").strip() for h in header]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileRejected("no_header")
    if kind is None:
        kind = detect_kind(header)
        if kind is None:
            raise FileRejected("unknown_kind", header=", ".join(header))
    spec = KINDS[kind]
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(header):
        name = spec.aliases.get(normalize_header(raw))
        if name is None:
            ignored.append(raw)
            continue
        if name in seen:
            raise FileRejected("same_column", first=seen[name], second=raw, name=name)
        seen[name] = raw
        mapping[i] = name
    missing = [c.name for c in spec.columns if c.required and c.name not in seen]
    if missing:
        raise FileRejected(
            "missing_columns",
            kind=kind,
            missing=", ".join(missing),
            header=", ".join(header),
        )
    table = Table(path, file_scan, header, mapping, ignored, delimiter)
    return table, kind


def detect_kind(header: list[str]) -> str | None:
    """The kind whose required columns all appear and which explains the most columns."""
    names = {normalize_header(h) for h in header}
    best, best_score = None, (0, 0)
    for kind, spec in KINDS.items():
        matched = {spec.aliases[n] for n in names if n in spec.aliases}
        required = {c.name for c in spec.columns if c.required}
        if not required <= matched:
            continue
        score = (len(matched), -len(spec.columns))
        if score > best_score:
            best, best_score = kind, score
    return best


def guard_xlsx(path: str) -> None:
    """Refuse zip bombs before openpyxl inflates anything (its XML goes via defusedxml)."""
    limit = getattr(
        settings,
        "IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES",
        max(settings.IMPORT_MAX_FILE_BYTES * 10, 1 << 20),
    )
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise FileRejected("xlsx_invalid") from exc
    if len(entries) > XLSX_MAX_ENTRIES:
        raise FileRejected("xlsx_parts")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > (1 << 20) and entry.file_size > XLSX_MAX_RATIO * max(
            entry.compress_size, 1
        ):
            raise FileRejected(
                "xlsx_part_bomb",
                part=entry.filename,
                size=f"{entry.file_size:,}",
                compressed=f"{entry.compress_size:,}",
            )
    if total > limit:
        raise FileRejected("xlsx_too_big", size=f"{total:,}", limit=f"{limit:,}")


def _xlsx_rows(path: str):
    import openpyxl
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # never parse a spreadsheet's XML without entity protection
        raise FileRejected("xlsx_needs_defusedxml")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds; all mean "unreadable"
        raise FileRejected("xlsx_unreadable", detail=str(exc)) from exc
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected("xlsx_unreadable", detail=str(exc)) from exc
    finally:
        workbook.close()


def _xlsx_dimension_rows(path: str) -> int:
    try:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True)
        rows = workbook.worksheets[0].max_row or 0
        workbook.close()
        return rows
    except Exception:
        return 0


def _extra_cells(row, width: int) -> str:
    """The cells of `row` beyond the header's `width`, joined; "" when all are empty."""
    extra = [cell for cell in row[width:] if cell.strip()]
    return ",".join(extra)


def _cell(value) -> str:
    """A spreadsheet cell as the text a CSV export would have had."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()
