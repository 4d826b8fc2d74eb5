"""Corpus files held out whole: how the model does on writers it never saw, with and without
the generic-word list. Needs no real data.

    .venv/bin/python benchmarks/writer_holdout.py [--folds 7]

Each corpus file was written by one writer brief, so holding out files is the nearest the corpus
gets to new writing. Prints macro-F1 and per-class F1 per language, and writes
benchmarks/results/writer_holdout.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import save, table  # noqa: E402

import jobclass.model  # noqa: E402
from jobclass import config  # noqa: E402
from jobclass.data import read_labeled  # noqa: E402
from jobclass.evaluation import score  # noqa: E402
from jobclass.generic_words import GENERIC_WORDS  # noqa: E402
from jobclass.model import ROLE_LABELS, fit, probabilities  # noqa: E402


def held_out_probabilities(frame, folds: int) -> np.ndarray:
    from sklearn.model_selection import GroupKFold

    texts, labels = frame["description"].to_numpy(), frame["label"].to_numpy()
    files = frame["where"].str.split(" ").str[0].to_numpy()
    out = np.zeros((len(frame), len(ROLE_LABELS)))
    for train, test in GroupKFold(n_splits=folds).split(texts, labels, files):
        out[test] = probabilities(fit(texts[train], labels[train]), texts[test])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=7)
    folds = parser.parse_args().folds
    frame = read_labeled([config.corpus_dir()]).frame
    rows, results = [], {"command": "benchmarks/writer_holdout.py", "folds": folds, "variants": {}}
    for variant, words in (("with generic_words", GENERIC_WORDS), ("without", frozenset())):
        jobclass.model.GENERIC_WORDS = words  # what _work_words_first reads
        probs = held_out_probabilities(frame, folds)
        results["variants"][variant] = {}
        for lang in ("en", "zh"):
            rows_of_lang = (frame["lang"] == lang).to_numpy()
            evaluation = score(frame["label"][rows_of_lang].tolist(), probs[rows_of_lang],
                               thresholds={"whole": 0.0})
            figures = {"macro_f1": evaluation.macro_f1,
                       **{f"f1_{label}": evaluation.per_class[label].f1 for label in ROLE_LABELS}}
            results["variants"][variant][lang] = figures
            rows.append([variant, lang, *figures.values()])
    jobclass.model.GENERIC_WORDS = GENERIC_WORDS
    short_labels = [f"F1 {label.split('_')[0]}" for label in ROLE_LABELS]
    print(table(rows, ["variant", "lang", "macro-F1", *short_labels]))
    print(f"\nwrote {save('writer_holdout', results)}")


if __name__ == "__main__":
    main()
