"""Accuracy on real gold postings: the shipped model beside title-only and fastText baselines.

    .venv/bin/python benchmarks/accuracy.py      (needs ../shared/real and the bench extra)

Prints one table per language and writes benchmarks/results/accuracy.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fasttext_predict, require_real, save, table, train_fasttext  # noqa: E402

from jobclass import config  # noqa: E402
from jobclass.data import read_evaluation_table, read_labeled  # noqa: E402
from jobclass.evaluation import score  # noqa: E402
from jobclass.model import ROLE_LABELS, probabilities, reads_by_passage  # noqa: E402
from jobclass.persist import load_model  # noqa: E402
from jobclass.text import title_role  # noqa: E402


def calibration(gold: list[str], probs: np.ndarray, bins: int = 10) -> dict:
    onehot = np.array([[g == label for label in ROLE_LABELS] for g in gold], dtype=float)
    brier = float(((probs - onehot) ** 2).sum(axis=1).mean())
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == onehot.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return {"brier": round(brier, 4), "ece": round(float(ece), 4)}


def figures(name: str, gold, probs, mismatch, *, thresholds=None, by_passage=None) -> dict:
    """Coverage figures only for a system with thresholds (jobclass)."""
    coverage = thresholds is not None
    evaluation = score(gold, probs, thresholds=thresholds or {"whole": 0.5}, by_passage=by_passage,
                       mismatch=mismatch)
    return {"system": name, "macro_f1": evaluation.macro_f1,
            **{f"f1_{label}": evaluation.per_class[label].f1 for label in ROLE_LABELS},
            "mismatch_accuracy": evaluation.mismatch_accuracy,
            "coverage": evaluation.coverage if coverage else None,
            "covered_accuracy": evaluation.covered_accuracy if coverage else None,
            **calibration(gold, probs)}


def fasttext_probabilities(model, texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), len(ROLE_LABELS)))
    for row, pairs in enumerate(fasttext_predict(model, texts, k=len(ROLE_LABELS))):
        for value, name in pairs:
            out[row, ROLE_LABELS.index(name.replace("__label__", ""))] = value
    return out


def main() -> None:
    shipped = load_model(None)
    corpus = read_labeled([config.corpus_dir()]).frame
    fasttext_model = train_fasttext(corpus)
    results = {"command": "benchmarks/accuracy.py", "model_id": shipped.model_id, "languages": {}}
    for lang in ("en", "zh"):
        table_ = read_evaluation_table(require_real(f"dev_{lang}.csv"))
        gold, texts = table_.labels, table_.texts
        title_probs = np.array([[title_role(t) == label for label in ROLE_LABELS]
                                for t in table_.titles], dtype=float)
        rows = [
            figures(f"jobclass {shipped.model_id}", gold, probabilities(shipped.model, texts),
                    table_.mismatch, thresholds=shipped.thresholds,
                    by_passage=reads_by_passage(shipped.model, texts)),
            figures("title only (keywords)", gold, title_probs, table_.mismatch),
            figures("fastText (same corpus)", gold, fasttext_probabilities(fasttext_model, texts),
                    table_.mismatch),
        ]
        results["languages"][lang] = {"rows": len(gold), "mismatch_rows": int(sum(table_.mismatch)),
                                      "systems": rows}
        print(f"\nreal {lang} postings: {len(gold)} ({int(sum(table_.mismatch))} with a lying title)")
        header = ["system", "macro-F1", "F1 ai", "F1 ml", "F1 other", "mismatch acc", "coverage",
                  "covered acc", "Brier", "ECE"]
        print(table([[r["system"], r["macro_f1"], r["f1_ai_engineering"], r["f1_ml_engineering"],
                      r["f1_other"], r["mismatch_accuracy"], r["coverage"] or "n/a",
                      r["covered_accuracy"] or "n/a", r["brier"], r["ece"]] for r in rows], header))
    print("\nwrote", save("accuracy", results))


if __name__ == "__main__":
    main()
