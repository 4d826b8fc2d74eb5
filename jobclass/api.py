"""Library entry points: classify one posting, evaluate a labeled file, train a model."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import config
from .errors import InputError
from .evaluation import Evaluation, score
from .generic_words import GENERIC_WORDS
from .model import (
    DEFAULT_C,
    DEFAULT_VOCABULARY,
    EMPTY_TEXT,
    NO_KNOWN_WORDS,
    PASSAGE_WORDS,
    SEED,
    TARGET_COVERAGE,
    JobModel,
    Prediction,
    choose_thresholds,
    cross_validated_probabilities,
    fit,
    predict_many,
    probabilities,
    read,
    reads_by_passage,
)
from .persist import LoadedModel, library_versions, load_model, save_model


def classify(text: str, *, title: str | None = None, model: LoadedModel | str | None = None,
             evidence_top: int = 5) -> Prediction:
    """Classify one description; raises InputError when it is empty or has no known words."""
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    if text is None or not str(text).strip():
        raise InputError(f"{EMPTY_TEXT}; pass the posting's description text")
    reading = read(loaded.model, [text])
    if not reading.has_known_words[0]:
        raise InputError(f"{NO_KNOWN_WORDS}; pass the posting's description text")
    return predict_many(loaded.model, reading=reading, titles=[title], thresholds=loaded.thresholds,
                        model_id=loaded.model_id, evidence_top=evidence_top)[0]


@dataclass(frozen=True)
class TrainResult:
    path: Path
    card: dict
    cv: Evaluation


def fit_with_card(frame, *, sources: Iterable[str] = (), parent: str | None = None,
                  C: float = DEFAULT_C, k: int = DEFAULT_VOCABULARY,
                  passage_words: int = PASSAGE_WORDS) -> tuple[object, dict, Evaluation]:
    """Cross-validate, fit on everything, choose the thresholds; return the model, card and CV figures."""
    from .data import corpus_hash

    texts, labels = frame["description"].tolist(), frame["label"].tolist()
    folds = min(5, int(frame["label"].value_counts().min()))
    oof = cross_validated_probabilities(texts, labels, folds=folds, C=C, k=k, passage_words=passage_words)
    model = fit(texts, labels, C=C, k=k, passage_words=passage_words)
    by_passage = reads_by_passage(model, texts)
    thresholds = choose_thresholds(oof, by_passage)
    cv = score(labels, oof, thresholds=thresholds, by_passage=by_passage, titles=frame["title"].tolist())
    card = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "parent": parent,
        "labels": list(model.classes),
        "thresholds": thresholds,
        "target_coverage": TARGET_COVERAGE,
        "params": {"C": C, "vocabulary": k, "class_weight": "balanced",
                   "features": "tf-idf (sublinear tf, l2) over the k chi-squared-best of the word "
                   "unigrams and Chinese character bigrams with min_df 2, max_df 0.9; the "
                   f"{len(GENERIC_WORDS)} words in jobclass.generic_words rank last",
                   "reading": f"Chinese postings whole; others in passages of {model.passage_words} "
                   "words overlapping by half, judged by the passage most sure of its label",
                   "passage_words": model.passage_words,
                   "seed": SEED, "cv_folds": folds},
        "data": {
            "hash": corpus_hash(frame), "rows": len(frame),
            "by_label": {k: int(v) for k, v in frame["label"].value_counts().sort_index().items()},
            "by_lang": {k: int(v) for k, v in frame["lang"].value_counts().sort_index().items()},
            "sources": sorted(set(sources)),
        },
        "cv_metrics": evaluation_dict(cv),
        "versions": library_versions(),
    }
    return model, card, cv


def train(paths: Iterable[Path] | None = None, *, out: Path | None = None,
          C: float = DEFAULT_C) -> TrainResult:
    """Validate labeled data, cross-validate, fit, and save a model folder with its card."""
    from .data import validate_corpus

    paths = list(paths) if paths else [config.corpus_dir()]
    data = validate_corpus(paths)
    model, card, cv = fit_with_card(data.frame, sources=[str(p) for p in paths], C=C)
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = config.user_models_dir() / f"jc-{stamp}-{card['data']['hash'][:8]}"
    path = save_model(model, card, out)
    return TrainResult(path=path, card={**card, "id": path.name}, cv=cv)


def evaluation_dict(evaluation: Evaluation) -> dict:
    from dataclasses import asdict

    return asdict(evaluation)


def evaluate_file(path: str | Path, *, model: LoadedModel | str | None = None,
                  encoding: str | None = None) -> Evaluation:
    """Evaluate a model on a labeled CSV or JSONL file with a gold `label` column."""
    from .data import read_evaluation_table

    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    return score_table(loaded.model, loaded.thresholds, read_evaluation_table(Path(path), encoding=encoding))


def score_table(model: JobModel, thresholds: dict[str, float], table) -> Evaluation:
    """Score a model, with its per-reader thresholds, on a read evaluation table."""
    reading = read(model, table.texts)
    return score(table.labels, probabilities(model, reading=reading), thresholds=thresholds,
                 by_passage=reading.by_passage, titles=table.titles, mismatch=table.mismatch)
