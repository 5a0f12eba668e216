"""Reading an ERP export into a table of raw strings: CSV/TSV/semicolon/pipe text (encoding and delimiter
detected), XLSX and Parquet. Every value stays a string here; parsing happens later, column by column.

The table carries `__line`, the line (or spreadsheet row) number a credit manager would look up in the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

LINE = "__line"
DELIMITERS = (";", "\t", "|", ",")


class UnreadableFile(Exception):
    """The file cannot be read as a table at all; the message is one line for the user."""


@dataclass
class RawTable:
    path: Path
    sha256: str
    format: str  # csv | xlsx | parquet
    frame: pl.DataFrame  # string columns named as in the file, plus LINE
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != LINE]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detect_encoding(data: bytes) -> str:
    """utf-8-sig (BOM), utf-8, else cp1252 (Windows ERPs), else latin-1 (which decodes any byte)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def detect_delimiter(sample_lines: list[str]) -> str | None:
    """The candidate splitting most lines into the same, largest number of columns (title lines above the
    header and footers below do not change the most common count)."""
    lines = [line for line in sample_lines if line.strip()][:50]
    if not lines:
        return None
    best, best_score = None, 0.0
    for candidate in DELIMITERS:
        counts = [_count_outside_quotes(line, candidate) for line in lines]
        common = max(set(counts), key=lambda c: (counts.count(c), c))
        if common == 0:
            continue
        score = common * counts.count(common) / len(counts)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _header_row(lines: list[str], delimiter: str) -> int:
    """Index of the header among leading lines: exports often start with a title or blank lines."""
    counts = [_count_outside_quotes(line, delimiter) if line.strip() else -1 for line in lines[:50]]
    widest = max(counts)
    for index, count in enumerate(counts):
        if count == widest:
            return index
    return 0


def _line_numbers(text_bytes: bytes, header_index: int, rows: int) -> np.ndarray:
    """1-based file line of each data row. Rows map one-to-one to physical lines unless a quoted value
    spans lines; then the (rarer) slow path walks the file with the csv module."""
    newline_count = text_bytes.count(b"\n") + (0 if text_bytes.endswith(b"\n") else 1)
    if newline_count - header_index - 1 == rows:
        return np.arange(header_index + 2, header_index + 2 + rows, dtype=np.int64)
    return np.empty(0, dtype=np.int64)


def _slow_line_numbers(text: str, delimiter: str, header_index: int) -> list[int]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    starts: list[int] = []
    previous_end = 0
    for index, _ in enumerate(reader):
        if index > header_index:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts


def read_text_table(
    path: Path, data: bytes, *, encoding: str | None = None, delimiter: str | None = None, skip_rows: int | None = None
) -> RawTable:
    encoding = encoding or detect_encoding(data)
    if encoding in ("utf-8", "utf8"):
        text_bytes = data
    else:
        try:
            text_bytes = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"{path.name}: not readable as {encoding} ({exc.reason} at byte {exc.start})"
            ) from None
        if text_bytes.startswith(b"\xef\xbb\xbf"):
            text_bytes = text_bytes[3:]
    head = text_bytes[:65536].decode("utf-8", errors="replace").splitlines()
    if len(text_bytes) > 65536 and len(head) > 1:
        head = head[:-1]  # the sample cut the last line in two
    delimiter = delimiter or detect_delimiter(head[skip_rows or 0 :])
    if delimiter is None:
        raise UnreadableFile(f"{path.name}: not a table (no ; , tab or | separated columns found)")
    header_index = skip_rows if skip_rows is not None else _header_row(head, delimiter)
    try:
        frame = pl.read_csv(
            io.BytesIO(text_bytes),
            separator=delimiter,
            infer_schema=False,
            skip_rows=header_index,
            truncate_ragged_lines=True,
            raise_if_empty=True,
            quote_char='"',
        )
    except pl.exceptions.NoDataError:
        raise UnreadableFile(f"{path.name}: empty file (no header line)") from None
    except pl.exceptions.ComputeError as exc:
        raise UnreadableFile(f"{path.name}: not a readable table ({str(exc).splitlines()[0]})") from None
    frame = _unique_headers(frame)
    lines = _line_numbers(text_bytes, header_index, frame.height)
    if lines.size != frame.height:
        lines = np.array(_slow_line_numbers(text_bytes.decode("utf-8"), delimiter, header_index), dtype=np.int64)
        if lines.size != frame.height:  # polars and csv disagree on the rows: keep order numbers
            lines = np.arange(header_index + 2, header_index + 2 + frame.height, dtype=np.int64)
    frame = frame.with_columns(pl.Series(LINE, lines))
    return RawTable(path, sha256_of(data), "csv", frame, encoding=encoding, delimiter=delimiter)


def _unique_headers(frame: pl.DataFrame) -> pl.DataFrame:
    seen: dict[str, int] = {}
    names = []
    for name in frame.columns:
        name = name.strip() or "row"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return frame.rename(dict(zip(frame.columns, names)))


def _stringify(frame: pl.DataFrame) -> pl.DataFrame:
    # a spreadsheet date becomes yyyy-mm-dd and a number its plain decimal form, both of which parse
    return frame.with_columns(
        [
            pl.col(c).dt.date().cast(pl.String) if frame.schema[c] == pl.Datetime else pl.col(c).cast(pl.String)
            for c in frame.columns
        ]
    )


def read_table(
    path: Path | str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    skip_rows: int | None = None,
    sheet: str | None = None,
) -> RawTable:
    path = Path(path)
    if not path.exists():
        raise UnreadableFile(f"{path}: no such file")
    if path.is_dir():
        raise UnreadableFile(f"{path}: is a folder, not a file")
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile(f"{path.name}: empty file")
    suffix = path.suffix.lower()
    if data[:4] == b"PAR1" or suffix == ".parquet":
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - any parquet failure means the same thing to the user
            raise UnreadableFile(f"{path.name}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
        frame = _stringify(frame)
        frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(LINE))
        return RawTable(path, sha256_of(data), "parquet", frame)
    if data[:2] == b"PK" or suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            frame = pl.read_excel(
                io.BytesIO(data), sheet_name=sheet, engine="calamine", read_options={"header_row": skip_rows or 0}
            )
        except Exception as exc:  # noqa: BLE001
            raise UnreadableFile(f"{path.name}: not a readable spreadsheet ({str(exc).splitlines()[0]})") from None
        if frame.width == 0:
            raise UnreadableFile(f"{path.name}: empty spreadsheet")
        frame = _unique_headers(_stringify(frame))
        first_data_row = (skip_rows or 0) + 2  # spreadsheet rows are 1-based and the header takes one
        frame = frame.with_columns(
            pl.int_range(first_data_row, first_data_row + frame.height, dtype=pl.Int64).alias(LINE)
        )
        return RawTable(path, sha256_of(data), "xlsx", frame)
    if b"\x00" in data[:4096]:
        raise UnreadableFile(f"{path.name}: not a table (binary content)")
    return read_text_table(path, data, encoding=encoding, delimiter=delimiter, skip_rows=skip_rows)
