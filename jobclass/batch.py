"""Batch classification of a CSV of postings, streamed in chunks, written atomically."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .data import TEXT_COLUMNS, TITLE_COLUMNS, find_column, guess_encoding
from .errors import InputError
from .persist import LoadedModel, load_model

OUTPUT_COLUMNS = ("predicted_label", "confidence", "p_ai_engineering", "p_ml_engineering",
                  "p_other", "title_role", "title_mismatch", "evidence", "model_id", "error")
CHUNK_ROWS = 500  # memory in every process grows with it; 1,000 was no faster (benchmarks/speed.py)
EVIDENCE_TERMS = 3


@dataclass(frozen=True)
class BatchSummary:
    rows: int
    by_label: dict[str, int]
    mismatches: int
    errors: int
    text_column: str
    title_column: str | None
    output: str
    error_reasons: dict[str, int] = field(default_factory=dict)


_worker_model: LoadedModel | None = None


def _classify_chunk(texts: list[str], titles: list[str | None]) -> list[tuple]:
    """One output tuple per row (in OUTPUT_COLUMNS order), errors kept in place."""
    from .model import (
        EMPTY_TEXT,
        NO_KNOWN_WORDS,
        decide,
        probabilities,
        read,
        strongest_terms,
        title_check,
    )

    loaded = _worker_model
    reading = read(loaded.model, texts)
    probs = probabilities(loaded.model, reading=reading)
    best = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    labels = decide(probs, loaded.thresholds, reading.by_passage)
    evidence = strongest_terms(loaded.model, reading, best, top=EVIDENCE_TERMS)
    has_known_words = reading.has_known_words
    rounded = np.round(probs, 4).tolist()
    rows = []
    for i, (text, title, label) in enumerate(zip(texts, titles, labels)):
        problem = EMPTY_TEXT if not text.strip() else None if has_known_words[i] else NO_KNOWN_WORDS
        if problem:
            rows.append(("", "", "", "", "", "", "", "", loaded.model_id, problem))
            continue
        role, mismatch = title_check(title, label)
        rows.append((label, round(float(confidence[i]), 4), *rounded[i], role or "",
                     "" if mismatch is None else str(mismatch).lower(),
                     "; ".join(evidence[i]), loaded.model_id, ""))
    return rows


class _Prefixed(io.RawIOBase):
    """Bytes already read (`head`) followed by the rest of a stream, read as they are needed."""

    def __init__(self, head: bytes, rest):
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _open_input(source: str | Path, encoding: str | None):
    """A binary handle on the input, its size (0 when unknown) and the encoding to read with."""
    if str(source) == "-":
        head = sys.stdin.buffer.read(1 << 20)  # stdin cannot be rewound: sniff a head, then chain it
        stream = io.BufferedReader(_Prefixed(head, sys.stdin.buffer))
        return stream, 0, _sniff_encoding(head, "standard input", encoding)
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{path}: is a folder; pass a CSV file")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        handle = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        head = handle.read(1 << 20)
        handle.seek(0)
        return handle, path.stat().st_size, _sniff_encoding(head, path.name, encoding)
    except (OSError, EOFError):
        handle.close()
        raise InputError(f"{path}: not a readable gzip file") from None
    except BaseException:
        handle.close()
        raise


def _sniff_encoding(head: bytes, name: str, encoding: str | None) -> str:
    if encoding:
        return encoding
    if b"\x00" in head[:4096]:
        raise InputError(f"{name}: looks like a binary file, not a CSV")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut by the 1 MiB read
            raise InputError(f"{name}: not valid UTF-8 (byte 0x{head[exc.start]:02x} at offset "
                             f"{exc.start}); re-save it as UTF-8 or pass --encoding "
                             f"{guess_encoding(head)}") from None
    return "utf-8-sig"


def classify_csv(
    source: str | Path,
    output: str | Path | None,
    *,
    model: LoadedModel | str | None = None,
    text_column: str | None = None,
    title_column: str | None = None,
    fmt: str = "csv",
    encoding: str | None = None,
    jobs: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int, int], None] | None = None,
    stdout=None,
) -> BatchSummary:
    """Classify every row of a CSV, keeping all input columns, into CSV or JSONL.

    The output appears only when complete: rows go to a temporary file beside it that is
    renamed at the end (or copied to `stdout` when there is no output path).
    """
    global _worker_model
    if fmt not in ("csv", "jsonl"):
        raise InputError(f"unknown format {fmt!r}; use csv or jsonl")
    if output is not None and str(source) != "-" and Path(output).resolve() == Path(source).resolve():
        raise InputError(f"{output}: refusing to overwrite the input; choose another -o")
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    handle, size, chosen_encoding = _open_input(source, encoding)
    name = "standard input" if str(source) == "-" else Path(source).name
    target_dir = Path(output).resolve().parent if output is not None else Path(tempfile.gettempdir())
    if not target_dir.is_dir():
        handle.close()
        raise InputError(f"{output}: folder {target_dir} does not exist")
    staged = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=target_dir,
                                         prefix=".jobclass-", suffix=f".{fmt}", delete=False)
    jobs = max(1, jobs if jobs is not None else min(os.cpu_count() or 1, 2))
    _worker_model = loaded
    pool = _start_pool(jobs) if jobs > 1 else None
    try:
        with handle, staged:
            summary = _stream(handle, name, staged, chosen_encoding, text_column, title_column, fmt,
                              chunk_rows, pool, jobs, progress, size)
        if output is not None:
            _give_default_permissions(staged.name)
            os.replace(staged.name, output)
        else:
            with open(staged.name, encoding="utf-8", newline="") as done:
                shutil.copyfileobj(done, stdout or sys.stdout)
            os.unlink(staged.name)
    except BaseException:
        Path(staged.name).unlink(missing_ok=True)
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        _worker_model = None
    return BatchSummary(**{**summary, "output": str(output) if output is not None else "-"})


def _start_pool(jobs: int) -> ProcessPoolExecutor | None:
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None  # workers could not inherit the loaded model; run in this process
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))


def _give_default_permissions(path: str) -> None:
    """Temporary files are private (0600); the finished output gets what a new file would."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _stream(handle, name, staged, encoding, text_column, title_column, fmt, chunk_rows, pool, jobs,
            progress, size) -> dict:
    try:
        reader = pd.read_csv(handle, dtype=str, keep_default_na=False, na_filter=False,
                             chunksize=chunk_rows, encoding=encoding, encoding_errors="strict")
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: empty file; expected a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(_parse_message(name, exc)) from None
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    state = {"rows": 0, "mismatches": 0, "columns": None}
    pending = []

    def write(rendered: tuple[str, Counter, int, Counter, int]) -> None:
        text, labels, mismatches, errors, rows = rendered
        staged.write(text)
        counts.update(labels)
        reasons.update(errors)
        state["mismatches"] += mismatches
        state["rows"] += rows

    try:
        for chunk in reader:
            first = state["columns"] is None
            if first:
                state["columns"] = _choose_columns(name, list(chunk.columns), text_column, title_column)
            job = (chunk, *state["columns"], fmt, first)
            if pool is None:
                write(_render_chunk(*job))
            else:
                pending.append(pool.submit(_render_chunk, *job))
                while len(pending) > jobs:  # a bounded window keeps memory flat
                    write(pending.pop(0).result())
            if progress and size:
                raw = getattr(handle, "fileobj", None) or handle  # compressed bytes for .gz
                progress(min(raw.tell(), size), size)
        for future in pending:
            write(future.result())
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: empty file; expected a CSV with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(_parse_message(name, exc)) from None
    if state["columns"] is None:
        raise InputError(f"{name}: no rows; expected a CSV with a header row and postings")
    return {"rows": state["rows"], "by_label": dict(counts), "mismatches": state["mismatches"],
            "errors": sum(reasons.values()), "error_reasons": dict(reasons),
            "text_column": state["columns"][0], "title_column": state["columns"][1]}


def _render_chunk(chunk: pd.DataFrame, text_col: str, title_col: str | None, fmt: str,
                  header: bool) -> tuple[str, Counter, int, Counter, int]:
    """Classify a chunk and serialise it with the appended columns, in the worker.

    Serialising here rather than in the reading process spreads the cost over the workers.
    """
    texts = chunk[text_col].tolist()
    titles = chunk[title_col].tolist() if title_col else [None] * len(chunk)
    results = _classify_chunk(texts, titles)
    appended = pd.DataFrame(results, columns=list(OUTPUT_COLUMNS), index=chunk.index)
    # An input that already has e.g. `title_role` keeps it; ours is told apart by a prefix.
    appended.columns = [f"jobclass_{c}" if c in chunk.columns else c for c in OUTPUT_COLUMNS]
    combined = pd.concat([chunk, appended], axis=1)
    if fmt == "csv":
        text = combined.to_csv(header=header, index=False, lineterminator="\n")
    else:
        text = combined.to_json(orient="records", lines=True, force_ascii=False)
    label_at = OUTPUT_COLUMNS.index("predicted_label")
    mismatch_at = OUTPUT_COLUMNS.index("title_mismatch")
    labels = Counter(row[label_at] for row in results if not row[-1])
    errors = Counter(row[-1] for row in results if row[-1])
    mismatches = sum(row[mismatch_at] == "true" for row in results)
    return text, labels, mismatches, errors, len(chunk)


def _parse_message(name: str, exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return (f"{name}: not valid UTF-8 ({exc.reason} at byte {exc.start} of a block); re-save it "
                "as UTF-8 or pass --encoding (e.g. gb18030, cp1252)")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return f"{name}: not a well-formed CSV ({first}); check quoting and delimiters"


def _choose_columns(name: str, columns: list[str], text_column: str | None,
                    title_column: str | None) -> tuple[str, str | None]:
    found = ", ".join(map(str, columns))
    if text_column is not None and text_column not in columns:
        raise InputError(f"{name}: no column {text_column!r}; columns found: {found}")
    if title_column is not None and title_column not in columns:
        raise InputError(f"{name}: no column {title_column!r}; columns found: {found}")
    text_col = text_column or find_column(columns, TEXT_COLUMNS)
    if text_col is None:
        raise InputError(f"{name}: no description column found (columns: {found}); "
                         "name it with --text-column")
    title_col = title_column or find_column(columns, TITLE_COLUMNS)
    return text_col, title_col
