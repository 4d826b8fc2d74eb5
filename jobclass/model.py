"""The classifier: build the pipeline, train with cross-validation, predict, explain, evaluate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import normalize

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


def probabilities_in_label_order(pipeline: Pipeline, texts: Sequence[str] | None = None, *,
                                 features=None) -> np.ndarray:
    """predict_proba with one column per ROLE_LABELS entry (zeros for labels never trained)."""
    if features is None:
        features = tfidf_features(pipeline, texts)
    raw = pipeline.named_steps["clf"].predict_proba(features)
    out = np.zeros((raw.shape[0], len(ROLE_LABELS)))
    for column, label in enumerate(pipeline.named_steps["clf"].classes_):
        out[:, ROLE_LABELS.index(label)] = raw[:, column]
    return out


def tfidf_features(pipeline: Pipeline, texts: Sequence[str]) -> sparse.csr_matrix:
    """The fitted vectorizer's transform, computed with array operations instead of a loop per token.

    Equal to `TfidfVectorizer.transform` (a test holds it to that); prediction spends most of
    its time here, and scikit-learn counts tokens one Python statement at a time.
    """
    vectorizer = pipeline.named_steps["tfidf"]
    lookup, analyzer = vectorizer.vocabulary_.get, vectorizer.analyzer
    ids: list[int] = []
    lengths = np.empty(len(texts), dtype=np.int64)
    for row, text in enumerate(texts):
        tokens = analyzer(text)
        ids.extend(map(lookup, tokens, repeat(-1, len(tokens))))
        lengths[row] = len(tokens)
    columns = np.fromiter(ids, dtype=np.int64, count=len(ids))
    rows = np.repeat(np.arange(len(texts)), lengths)
    known = columns >= 0
    counts = sparse.csr_matrix((np.ones(int(known.sum()), dtype=np.float64),
                                (rows[known], columns[known])),
                               shape=(len(texts), len(vectorizer.vocabulary_)))
    counts.sum_duplicates()
    if vectorizer.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    counts.data *= vectorizer.idf_[counts.indices]
    if vectorizer.norm:
        counts = normalize(counts, norm=vectorizer.norm, copy=False)
    return counts.astype(vectorizer.dtype)


def choose_threshold(probabilities: np.ndarray, *, coverage: float = TARGET_COVERAGE) -> float:
    """Confidence below which the least confident (1 - coverage) of CV predictions fall."""
    confidence = probabilities.max(axis=1)
    return float(np.round(np.quantile(confidence, 1.0 - coverage), 4))


def explain(pipeline: Pipeline, features: sparse.csr_matrix, label_indices: np.ndarray, *,
            top: int = 5) -> list[Evidence]:
    """Per row, the n-grams pushing toward its label and against it.

    A contribution is tf-idf value x (weight for the label - mean weight over labels). All rows
    are ranked in one sort, so explaining a batch costs about as much as predicting it.
    """
    names, relative = _explanation_tables(pipeline)
    row_of = np.repeat(np.arange(features.shape[0]), np.diff(features.indptr))
    contributions = features.data * relative[np.asarray(label_indices)[row_of], features.indices]
    order = np.lexsort((-contributions, row_of))  # within each row, strongest first
    ranked_terms, ranked = features.indices[order], contributions[order]
    evidence = []
    for start, end in zip(features.indptr[:-1], features.indptr[1:]):
        toward = [(names[ranked_terms[i]], round(float(ranked[i]), 4))
                  for i in range(start, min(start + top, end)) if ranked[i] > 0]
        against = [(names[ranked_terms[i]], round(float(ranked[i]), 4))
                   for i in range(end - 1, max(end - top, start) - 1, -1) if ranked[i] < 0]
        evidence.append(Evidence(toward=tuple(toward), against=tuple(against)))
    return evidence


def _explanation_tables(pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """Feature names and per-label relative weights (rows in ROLE_LABELS order), built once."""
    classifier = pipeline.named_steps["clf"]
    cached = getattr(classifier, "_jobclass_explanation", None)
    if cached is None:
        weights = classifier.coef_
        if weights.shape[0] == 1:  # binary models store one row: +w for classes_[1]
            weights = np.vstack([-weights[0], weights[0]])
        relative = np.zeros((len(ROLE_LABELS), weights.shape[1]))
        for row, label in enumerate(classifier.classes_):
            relative[ROLE_LABELS.index(label)] = weights[row] - weights.mean(axis=0)
        cached = (pipeline.named_steps["tfidf"].get_feature_names_out(), relative)
        classifier._jobclass_explanation = cached
    return cached


def predict_many(pipeline: Pipeline, texts: Sequence[str] | None = None, *,
                 titles: Sequence[str | None], threshold: float, model_id: str,
                 evidence_top: int = 5, features=None) -> list[Prediction]:
    """Predict non-empty descriptions (or their tf-idf `features`); titles may be None."""
    if features is None:
        features = tfidf_features(pipeline, texts)
    probabilities = probabilities_in_label_order(pipeline, features=features)
    best_labels = probabilities.argmax(axis=1)
    evidence = explain(pipeline, features, best_labels, top=evidence_top)
    predictions = []
    for i, title in enumerate(titles):
        best = int(best_labels[i])
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
            evidence=evidence[i],
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
