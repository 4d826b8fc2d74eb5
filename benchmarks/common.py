"""Shared pieces of the benchmarks: paths, the fastText baseline, timing and result files."""

from __future__ import annotations

import json
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SHARED_REAL = ROOT.parent / "shared" / "real"
_CJK = re.compile(r"([\u4e00-\u9fff])")


def require_real(name: str) -> Path:
    path = SHARED_REAL / name
    if not path.is_file():
        print(f"skipped: {path} not present", file=sys.stderr)
        sys.exit(0)
    return path


def fasttext_text(text: str) -> str:
    """fastText's input: one line, lowercased, Chinese characters split apart (it splits on spaces)."""
    return _CJK.sub(r" \1 ", str(text).lower().replace("\n", " ").replace("\r", " "))


def train_fasttext(frame, *, seed: int = 0):
    """A supervised fastText model on the same corpus jobclass trains on (word unigrams)."""
    import tempfile

    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        for text, label in zip(frame["description"], frame["label"]):
            handle.write(f"__label__{label} {fasttext_text(text)}\n")
    model = fasttext.train_supervised(handle.name, epoch=25, lr=0.5, wordNgrams=1, dim=100,
                                      thread=1, seed=seed, verbose=0)
    Path(handle.name).unlink()
    return model


def fasttext_predict(model, texts, k: int = 3) -> list[list[tuple[float, str]]]:
    """(probability, label) pairs per text. fastText's list predict returns wrong probabilities
    under NumPy 2 (every column equals the first), so this calls the per-line binding."""
    predict = model.f.predict
    return [predict(fasttext_text(text) + "\n", k, 0.0, "strict") for text in texts]


def median_seconds(command: list[str], runs: int, **kwargs) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def machine() -> dict:
    import os

    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version()}


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(), **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def table(rows: list[list], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def perturbed(texts: list[str], n: int, seed: int = 0) -> list[str]:
    """n postings made by dropping and shuffling words of corpus postings (timing only)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = texts[i % len(texts)].split()
        kept = [w for w in words if rng.random() > 0.15]
        cut = rng.randrange(len(kept) or 1)
        out.append(" ".join(kept[cut:] + kept[:cut]))
    return out
