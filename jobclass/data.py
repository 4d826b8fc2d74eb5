"""Labeled and unlabeled postings: schema, reading, column detection and validation."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DataError, InputError
from .text import ROLE_LABELS, detect_lang, normalise

LABELS = ROLE_LABELS
LANGS = ("en", "zh")
TEXT_COLUMNS = (
    "description", "job_description", "jobdescription", "description_text", "text",
    "body", "content", "posting", "job_text", "jd", "职位描述", "岗位职责", "描述",
)
TITLE_COLUMNS = ("title", "job_title", "jobtitle", "position", "role", "job", "name", "职位", "岗位")
LABEL_COLUMNS = ("label", "gold", "gold_label", "category", "class")
MIN_TRAIN_ROWS = 15
MIN_ROWS_PER_LABEL = 5
NEAR_DUPLICATE_OVERLAP = 0.5


@dataclass(frozen=True)
class Issue:
    """One problem found in labeled data, located as `file line N`."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class LabeledData:
    """Rows of labeled postings with where each came from."""

    frame: pd.DataFrame  # id, title, description, label, lang, where
    issues: tuple[Issue, ...] = field(default=())


def find_column(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    """The first column whose normalised name is one of `candidates`."""
    by_key = {str(c).strip().lower().replace(" ", "_").replace("-", "_"): c for c in columns}
    for name in candidates:
        if name in by_key:
            return by_key[name]
    return None


def decode_bytes(raw: bytes, where: str, encoding: str | None = None) -> str:
    """Decode a whole small file, with a clear error naming the encoding to try."""
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"{where}: cannot decode as {encoding} ({exc.__class__.__name__}); "
                             "check --encoding") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = guess_encoding(raw)
        raise InputError(
            f"{where}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            f"re-save it as UTF-8 or pass --encoding {hint}"
        ) from None


def guess_encoding(raw: bytes) -> str:
    """The first common legacy encoding that decodes `raw` cleanly (a hint for the user)."""
    for candidate in ("gb18030", "big5", "cp1252"):
        try:
            raw.decode(candidate)
            return candidate
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _read_jsonl(path: Path, text: str) -> tuple[list[dict], list[Issue]]:
    rows, issues = [], []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            issues.append(Issue(f"{path.name} line {line_no}", f"not valid JSON ({exc.msg})"))
            continue
        if not isinstance(record, dict):
            issues.append(Issue(f"{path.name} line {line_no}", "expected a JSON object"))
            continue
        record["where"] = f"{path.name} line {line_no}"
        rows.append(record)
    return rows, issues


def _read_csv(path: Path, text: str) -> tuple[list[dict], list[Issue]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        return [], [Issue(path.name, "empty file: expected a header row")]
    columns = list(reader.fieldnames)
    text_col = find_column(columns, TEXT_COLUMNS)
    label_col = find_column(columns, LABEL_COLUMNS)
    if text_col is None or label_col is None:
        missing = "a text column (description, text, ...)" if text_col is None else "a label column"
        raise DataError(f"{path.name}: no {missing}; columns found: {', '.join(columns)}")
    title_col = find_column(columns, TITLE_COLUMNS)
    rows = []
    start_line = reader.line_num + 1
    for record in reader:
        rows.append({
            "id": record.get("id") or "",
            "title": record.get(title_col, "") if title_col else "",
            "description": record.get(text_col) or "",
            "label": record.get(label_col) or "",
            "lang": record.get("lang") or "",
            "where": f"{path.name} line {start_line}",
        })
        start_line = reader.line_num + 1
    return rows, []


def labeled_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into their .jsonl/.csv files, sorted so hashes are stable."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".csv"))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def read_labeled(paths: Iterable[Path], *, encoding: str | None = None) -> LabeledData:
    """Read labeled postings from .jsonl/.csv files or folders, validating every row."""
    files = labeled_files(paths)
    if not files:
        raise DataError("no labeled files found (.jsonl or .csv); pass a file or a folder")
    records: list[dict] = []
    issues: list[Issue] = []
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
        text = decode_bytes(raw, path.name, encoding)
        reader = _read_jsonl if path.suffix == ".jsonl" else _read_csv
        rows, found = reader(path, text)
        records += rows
        issues += found
    frame, row_issues = _normalise_records(records)
    return LabeledData(frame=frame, issues=tuple(issues + row_issues))


def _normalise_records(records: list[dict]) -> tuple[pd.DataFrame, list[Issue]]:
    issues: list[Issue] = []
    kept = []
    for record in records:
        where = record["where"]
        description = str(record.get("description") or "")
        label = str(record.get("label") or "").strip()
        if not description.strip():
            issues.append(Issue(where, "empty description"))
            continue
        if label not in LABELS:
            shown = repr(label) if label else "missing"
            issues.append(Issue(where, f"unknown label {shown}; allowed: {', '.join(LABELS)}"))
            continue
        lang = str(record.get("lang") or "").strip() or detect_lang(description)
        if lang not in LANGS:
            issues.append(Issue(where, f"unknown lang {lang!r}; allowed: {', '.join(LANGS)}"))
            continue
        kept.append({
            "id": str(record.get("id") or where),
            "title": str(record.get("title") or ""),
            "description": description,
            "label": label,
            "lang": lang,
            "mixed": bool(record.get("mixed", False)),
            "title_role_declared": str(record.get("title_role") or ""),
            "where": where,
        })
    columns = ["id", "title", "description", "label", "lang", "mixed", "title_role_declared",
               "where"]
    return pd.DataFrame(kept, columns=columns), issues


def content_key(text: str) -> str:
    """Whitespace- and case-insensitive fingerprint of a description, for exact duplicates."""
    return hashlib.sha1(" ".join(normalise(text).split()).encode("utf-8")).hexdigest()


def _shingles(text: str, n: int = 5) -> set[int]:
    from .text import tokenize

    tokens = tokenize(text, mask_titles=False)  # the model's token rules; titles count as text here
    return {hash(tuple(tokens[i:i + n])) for i in range(max(len(tokens) - n + 1, 1))}


def near_duplicate_pairs(
    texts: Sequence[str], *, overlap: float = NEAR_DUPLICATE_OVERLAP, against: int | None = None
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, share) where `share` of the shorter text's 5-gram shingles also occur in the other.

    With `against=k`, only pairs with i < k <= j are reported (new rows against a base set).
    Shingles shared by very many texts are boilerplate and skipped so the index stays small.
    """
    shingle_sets = [_shingles(t) for t in texts]
    index: dict[int, list[int]] = defaultdict(list)
    for doc, shingles in enumerate(shingle_sets):
        for s in shingles:
            index[s].append(doc)
    common_limit = max(50, len(texts) // 20)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in index.values():
        if len(docs) < 2 or len(docs) > common_limit:
            continue
        for a_pos, a in enumerate(docs):
            for b in docs[a_pos + 1:]:
                if against is None or (a < against <= b):
                    shared[(a, b)] += 1
    pairs = []
    for (a, b), count in shared.items():
        share = count / max(min(len(shingle_sets[a]), len(shingle_sets[b])), 1)
        if share >= overlap:
            pairs.append((a, b, round(share, 3)))
    return sorted(pairs)


def duplicate_issues(frame: pd.DataFrame) -> list[Issue]:
    """Exact duplicates, near-duplicates and repeated ids, each named by both locations."""
    issues = []
    seen_ids: dict[str, str] = {}
    for row in frame.itertuples():
        if row.id in seen_ids:
            issues.append(Issue(row.where, f"id {row.id!r} already used at {seen_ids[row.id]}"))
        seen_ids.setdefault(row.id, row.where)
    first_by_key: dict[str, str] = {}
    for row in frame.itertuples():
        key = content_key(row.description)
        if key in first_by_key:
            issues.append(Issue(row.where, f"duplicate of {first_by_key[key]}"))
        first_by_key.setdefault(key, row.where)
    wheres = frame["where"].tolist()
    for a, b, share in near_duplicate_pairs(frame["description"].tolist()):
        if content_key(frame["description"].iat[a]) != content_key(frame["description"].iat[b]):
            issues.append(Issue(wheres[b], f"near-duplicate of {wheres[a]} ({share:.0%} shared 5-grams)"))
    return issues


def training_issues(frame: pd.DataFrame) -> list[Issue]:
    """Problems that make a set unfit to train on: too few rows or labels."""
    counts = frame["label"].value_counts()
    if len(frame) < MIN_TRAIN_ROWS:
        return [Issue("training data", f"only {len(frame)} usable rows; need at least {MIN_TRAIN_ROWS}")]
    if len(counts) < 2:
        only = counts.index[0] if len(counts) else "none"
        return [Issue("training data", f"only one label ({only}); need at least two of {', '.join(LABELS)}")]
    thin = [f"{label} ({n})" for label, n in counts.items() if n < MIN_ROWS_PER_LABEL]
    if thin:
        return [Issue("training data",
                      f"too few rows for {', '.join(thin)}; need {MIN_ROWS_PER_LABEL} per label")]
    return []


def validate_corpus(paths: Iterable[Path]) -> LabeledData:
    """Read and fully validate labeled data; raise DataError listing the problems."""
    data = read_labeled(paths)
    issues = list(data.issues) + duplicate_issues(data.frame)
    issues += training_issues(data.frame) if not issues else []
    if issues:
        raise_issues(issues)
    return data


def raise_issues(issues: Sequence[Issue], limit: int = 10) -> None:
    shown = "; ".join(str(i) for i in issues[:limit])
    more = f" (and {len(issues) - limit} more)" if len(issues) > limit else ""
    raise DataError(f"{len(issues)} problem(s) in labeled data: {shown}{more}")


def corpus_hash(frame: pd.DataFrame) -> str:
    """Hash of exactly what training sees: ids, descriptions and labels, in order."""
    digest = hashlib.sha256()
    for row in frame[["id", "description", "label"]].itertuples(index=False):
        digest.update("\x1f".join(row).encode("utf-8") + b"\x1e")
    return digest.hexdigest()


@dataclass(frozen=True)
class EvaluationTable:
    texts: list[str]
    labels: list[str]
    titles: list[str] | None
    mismatch: list[bool] | None  # the file's own `title_mismatch` column, when it has one


def read_evaluation_table(path: Path, *, encoding: str | None = None) -> EvaluationTable:
    """A labeled file for evaluation: every row must have text and a known label."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    text = decode_bytes(path.read_bytes(), path.name, encoding)
    try:
        if path.suffix == ".jsonl":
            frame = pd.read_json(io.StringIO(text), lines=True, dtype=False)
        else:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path.name}: not a readable CSV/JSONL ({str(exc).splitlines()[0]})") from None
    text_col = find_column(list(frame.columns), TEXT_COLUMNS)
    label_col = find_column(list(frame.columns), LABEL_COLUMNS)
    if text_col is None or label_col is None:
        missing = "text" if text_col is None else "label"
        raise InputError(f"{path.name}: no {missing} column; columns found: "
                         f"{', '.join(map(str, frame.columns))}")
    issues = []
    for position, (body, label) in enumerate(zip(frame[text_col], frame[label_col])):
        where = f"{path.name} row {position + 1}"
        if not str(body).strip():
            issues.append(Issue(where, "empty description"))
        elif str(label) not in LABELS:
            issues.append(Issue(where, f"unknown label {label!r}; allowed: {', '.join(LABELS)}"))
    if issues:
        raise_issues(issues)
    title_col = find_column(list(frame.columns), TITLE_COLUMNS)
    mismatch = None
    if "title_mismatch" in frame.columns:
        mismatch = [str(v).strip().lower() in ("true", "1", "yes") for v in frame["title_mismatch"]]
    return EvaluationTable(
        texts=frame[text_col].astype(str).tolist(),
        labels=frame[label_col].astype(str).tolist(),
        titles=frame[title_col].astype(str).tolist() if title_col else None,
        mismatch=mismatch,
    )
