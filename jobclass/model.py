"""The classifier: build the pipeline, train with cross-validation, predict, explain, evaluate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from .text import ROLE_LABELS, analyze, title_role

UNCERTAIN = "uncertain"
TARGET_COVERAGE = 0.9
SEED = 0


@dataclass(frozen=True)
class Evidence:
    """n-grams that pushed a prediction toward its label, and those that pushed against it."""

    toward: tuple[tuple[str, float], ...]
    against: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Prediction:
    label: str  # one of ROLE_LABELS, or "uncertain" below the model's threshold
    best_label: str
    confidence: float
    probabilities: dict[str, float]
    evidence: Evidence
    title_role: str | None
    title_mismatch: bool | None
    model_id: str


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Figures for one labeled set; `macro_f1` and `per_class` use every row's best label."""

    rows: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScores]
    confusion: list[list[int]]  # rows = gold, columns = predicted, in ROLE_LABELS order
    threshold: float
    coverage: float
    covered_accuracy: float
    mismatch_rows: int
    mismatch_accuracy: float | None
    title_rows: int
    title_only_accuracy: float | None
    title_only_macro_f1: float | None


def build_pipeline(*, C: float = 10.0) -> Pipeline:
    """TF-IDF over masked description tokens, then multinomial logistic regression."""
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=2, max_df=0.9,
                                  dtype=np.float32)),
        ("clf", LogisticRegression(C=C, class_weight="balanced", max_iter=2000)),
    ])


def cross_validated_probabilities(texts: Sequence[str], labels: Sequence[str], *, folds: int = 5,
                                  C: float = 10.0, base_mask: np.ndarray | None = None
                                  ) -> np.ndarray:
    """Out-of-fold probabilities (columns in ROLE_LABELS order), seeded and stratified.

    With `base_mask`, each fold trains only on its base rows: the model the data had before
    new rows were added, scored on exactly the same held-out rows.
    """
    texts = np.asarray(texts, dtype=object)
    labels = np.asarray(labels, dtype=object)
    out = np.zeros((len(texts), len(ROLE_LABELS)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train, test in splitter.split(texts, labels):
        if base_mask is not None:
            train = train[base_mask[train]]
        pipeline = build_pipeline(C=C).fit(texts[train], labels[train])
        out[test] = probabilities_in_label_order(pipeline, texts[test])
    return out


def probabilities_in_label_order(pipeline: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """predict_proba with one column per ROLE_LABELS entry (zeros for labels never trained)."""
    raw = pipeline.predict_proba(texts)
    out = np.zeros((raw.shape[0], len(ROLE_LABELS)))
    for column, label in enumerate(pipeline.classes_):
        out[:, ROLE_LABELS.index(label)] = raw[:, column]
    return out


def choose_threshold(probabilities: np.ndarray, *, coverage: float = TARGET_COVERAGE) -> float:
    """Confidence below which the least confident (1 - coverage) of CV predictions fall."""
    confidence = probabilities.max(axis=1)
    return float(np.round(np.quantile(confidence, 1.0 - coverage), 4))


def explain(pipeline: Pipeline, row, label_index: int, *, top: int = 5) -> Evidence:
    """Per-n-gram contribution: tf-idf value x (weight for the label - mean weight over labels)."""
    classifier = pipeline.named_steps["clf"]
    names = feature_names(pipeline)
    weights = classifier.coef_
    if weights.shape[0] == 1:  # binary models store one row: +w for classes_[1]
        weights = np.vstack([-weights[0], weights[0]])
    column = list(classifier.classes_).index(ROLE_LABELS[label_index])
    relative = weights[column] - weights.mean(axis=0)
    contributions = row.data * relative[row.indices]
    order = np.argsort(contributions)
    toward = [(names[row.indices[i]], round(float(contributions[i]), 4))
              for i in order[::-1][:top] if contributions[i] > 0]
    against = [(names[row.indices[i]], round(float(contributions[i]), 4))
               for i in order[:top] if contributions[i] < 0]
    return Evidence(toward=tuple(toward), against=tuple(against))


def feature_names(pipeline: Pipeline) -> np.ndarray:
    vectorizer = pipeline.named_steps["tfidf"]
    names = getattr(vectorizer, "_jobclass_names", None)
    if names is None:
        names = vectorizer.get_feature_names_out()
        vectorizer._jobclass_names = names  # cached: building it costs more than a prediction
    return names


def predict_many(pipeline: Pipeline, texts: Sequence[str] | None = None, *,
                 titles: Sequence[str | None], threshold: float, model_id: str,
                 evidence_top: int = 5, features=None) -> list[Prediction]:
    """Predict non-empty descriptions (or their tf-idf `features`); titles may be None."""
    if features is None:
        features = pipeline.named_steps["tfidf"].transform(texts)
    raw = pipeline.named_steps["clf"].predict_proba(features)
    classes = list(pipeline.named_steps["clf"].classes_)
    probabilities = np.zeros((raw.shape[0], len(ROLE_LABELS)))
    for column, label in enumerate(classes):
        probabilities[:, ROLE_LABELS.index(label)] = raw[:, column]
    predictions = []
    for i, title in enumerate(titles):
        best = int(probabilities[i].argmax())
        confidence = float(probabilities[i, best])
        label = ROLE_LABELS[best] if confidence >= threshold else UNCERTAIN
        role = title_role(title) if title is not None else None
        mismatch = None
        if role not in (None, "unknown") and label != UNCERTAIN:
            mismatch = role != label
        predictions.append(Prediction(
            label=label,
            best_label=ROLE_LABELS[best],
            confidence=round(confidence, 4),
            probabilities={lab: round(float(p), 4) for lab, p in zip(ROLE_LABELS, probabilities[i])},
            evidence=explain(pipeline, features[i], best, top=evidence_top),
            title_role=role,
            title_mismatch=mismatch,
            model_id=model_id,
        ))
    return predictions


def score(gold: Sequence[str], probabilities: np.ndarray, *, threshold: float,
          titles: Sequence[str] | None = None, mismatch: Sequence[bool] | None = None
          ) -> Evaluation:
    """Evaluate probabilities against gold labels.

    `mismatch` marks rows whose title disagrees with the gold label; when not given it is
    derived from `titles` with the same keyword reading that `title_role` uses.
    """
    gold = np.asarray(gold, dtype=object)
    predicted = np.asarray(ROLE_LABELS, dtype=object)[probabilities.argmax(axis=1)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=list(ROLE_LABELS), zero_division=0)
    per_class = {
        label: ClassScores(round(float(p), 4), round(float(r), 4), round(float(f), 4), int(s))
        for label, p, r, f, s in zip(ROLE_LABELS, precision, recall, f1, support)
    }
    confident = probabilities.max(axis=1) >= threshold
    title_only = None
    if titles is not None:
        roles = np.asarray([title_role(t) for t in titles], dtype=object)
        has_title = roles != "unknown"
        title_only = (roles, has_title)
        if mismatch is None:
            mismatch = has_title & (roles != gold)
    mismatch_mask = np.asarray(mismatch, dtype=bool) if mismatch is not None else None
    correct = predicted == gold
    return Evaluation(
        rows=len(gold),
        accuracy=round(float(correct.mean()), 4),
        macro_f1=round(float(f1_score(gold, predicted, labels=list(ROLE_LABELS), average="macro",
                                      zero_division=0)), 4),
        per_class=per_class,
        confusion=confusion_matrix(gold, predicted, labels=list(ROLE_LABELS)).tolist(),
        threshold=threshold,
        coverage=round(float(confident.mean()), 4),
        covered_accuracy=round(float(correct[confident].mean()), 4) if confident.any() else 0.0,
        mismatch_rows=int(mismatch_mask.sum()) if mismatch_mask is not None else 0,
        mismatch_accuracy=(round(float(correct[mismatch_mask].mean()), 4)
                           if mismatch_mask is not None and mismatch_mask.any() else None),
        title_rows=int(title_only[1].sum()) if title_only else 0,
        title_only_accuracy=(round(float((title_only[0] == gold)[title_only[1]].mean()), 4)
                             if title_only and title_only[1].any() else None),
        title_only_macro_f1=(round(float(f1_score(gold[title_only[1]], title_only[0][title_only[1]],
                                                  labels=list(ROLE_LABELS), average="macro",
                                                  zero_division=0)), 4)
                             if title_only and title_only[1].any() else None),
    )
