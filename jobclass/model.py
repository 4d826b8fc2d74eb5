"""The classifier: build the pipeline, train with cross-validation, predict, explain, evaluate.

Training fits a scikit-learn Pipeline. Prediction runs on `TextModel`, the fitted Pipeline's
state as plain arrays, computed with NumPy alone: importing scikit-learn takes a second,
most of a cold `jobclass predict`, and a test holds both to the same probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
from scipy import sparse

from .text import ANALYZER_VERSION, ROLE_LABELS, analyze, title_role

UNCERTAIN = "uncertain"
DEFAULT_C = 0.3
DEFAULT_VOCABULARY = 1500
EMPTY_TEXT = "empty description"
NO_KNOWN_WORDS = "no words the model knows (is this a job description?)"
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


def build_pipeline(*, C: float = DEFAULT_C, vocabulary: Sequence[str] | None = None):
    """TF-IDF over masked description tokens, then multinomial logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=2, max_df=0.9,
                                  vocabulary=vocabulary, dtype=np.float32)),
        ("clf", LogisticRegression(C=C, class_weight="balanced", max_iter=2000)),
    ])


def select_vocabulary(texts: Sequence[str], labels: Sequence[str], *,
                      k: int = DEFAULT_VOCABULARY) -> list[str]:
    """The k terms whose use differs most between labels (chi-squared), in a stable order.

    Real postings are long and mostly generic (company, benefits, soft skills). Over a full
    vocabulary the many generic words, each slightly tied to one label in any written corpus,
    outvote the few words that describe the work; keeping only the most label-specific terms,
    and normalising over those alone, lets the work decide.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.feature_selection import SelectKBest, chi2

    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=2, max_df=0.9)
    features = vectorizer.fit_transform(texts)
    if features.shape[1] <= k:
        return vectorizer.get_feature_names_out().tolist()
    keep = SelectKBest(chi2, k=k).fit(features, labels).get_support()
    return vectorizer.get_feature_names_out()[keep].tolist()


@dataclass(frozen=True, eq=False)
class TextModel:
    """A fitted pipeline's state: vocabulary, idf, and the linear model over it."""

    terms: np.ndarray  # feature names, in column order
    idf: np.ndarray
    coef: np.ndarray  # one row per class (binary models: one row, for classes[1])
    intercept: np.ndarray
    classes: tuple[str, ...]
    sublinear_tf: bool = True
    norm: str | None = "l2"
    analyzer_version: int = ANALYZER_VERSION
    vocabulary: dict = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "vocabulary", {str(t): i for i, t in enumerate(self.terms)})

    @classmethod
    def from_pipeline(cls, pipeline) -> TextModel:
        vectorizer, classifier = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        return cls(terms=np.array(terms, dtype=str), idf=vectorizer.idf_.astype(np.float64),
                   coef=classifier.coef_.astype(np.float64),
                   intercept=classifier.intercept_.astype(np.float64),
                   classes=tuple(str(c) for c in classifier.classes_),
                   sublinear_tf=bool(vectorizer.sublinear_tf), norm=vectorizer.norm)

    def consistent(self) -> bool:
        """Do the arrays fit together (as they do in anything `fit` produced)?"""
        k = len(self.classes)
        return (self.idf.shape == (len(self.terms),) and self.coef.ndim == 2
                and self.coef.shape[1] == len(self.terms)
                and self.coef.shape[0] == (1 if k == 2 else k)
                and self.intercept.shape == (self.coef.shape[0],)
                and set(self.classes) <= set(ROLE_LABELS) and len(set(self.classes)) == k >= 2)


def fit(texts: Sequence[str], labels: Sequence[str], *, C: float = DEFAULT_C,
        k: int = DEFAULT_VOCABULARY) -> TextModel:
    """Select the vocabulary, then fit the pipeline over it."""
    texts, labels = list(texts), list(labels)
    vocabulary = select_vocabulary(texts, labels, k=k)
    return TextModel.from_pipeline(build_pipeline(C=C, vocabulary=vocabulary).fit(texts, labels))


def tfidf_features(model: TextModel, texts: Sequence[str]) -> sparse.csr_matrix:
    """TfidfVectorizer.transform, computed with array operations instead of a loop per token."""
    lookup = model.vocabulary.get
    ids: list[int] = []
    lengths = np.empty(len(texts), dtype=np.int64)
    for row, text in enumerate(texts):
        tokens = analyze(text)
        ids.extend(map(lookup, tokens, repeat(-1, len(tokens))))
        lengths[row] = len(tokens)
    columns = np.fromiter(ids, dtype=np.int64, count=len(ids))
    rows = np.repeat(np.arange(len(texts)), lengths)
    known = columns >= 0
    counts = sparse.csr_matrix((np.ones(int(known.sum())), (rows[known], columns[known])),
                               shape=(len(texts), len(model.terms)))
    counts.sum_duplicates()
    if model.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    counts.data *= model.idf[counts.indices]
    if model.norm == "l2":
        row_of = np.repeat(np.arange(len(texts)), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=counts.data ** 2, minlength=len(texts)))
        norms[norms == 0] = 1.0
        counts.data /= norms[row_of]
    return counts.astype(np.float32)


def cross_validated_probabilities(texts: Sequence[str], labels: Sequence[str], *, folds: int = 5,
                                  C: float = DEFAULT_C, k: int = DEFAULT_VOCABULARY,
                                  base_mask: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold probabilities (columns in ROLE_LABELS order), seeded and stratified.

    With `base_mask`, each fold trains only on its base rows: the model the data had before
    new rows were added, scored on exactly the same held-out rows.
    """
    from sklearn.model_selection import StratifiedKFold

    texts = np.asarray(texts, dtype=object)
    labels = np.asarray(labels, dtype=object)
    out = np.zeros((len(texts), len(ROLE_LABELS)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train, test in splitter.split(texts, labels):
        if base_mask is not None:
            train = train[base_mask[train]]
        out[test] = probabilities(fit(texts[train], labels[train], C=C, k=k), texts[test])
    return out


def probabilities(model: TextModel, texts: Sequence[str] | None = None, *,
                  features=None) -> np.ndarray:
    """Class probabilities, one column per ROLE_LABELS entry (zeros for labels never trained)."""
    if features is None:
        features = tfidf_features(model, texts)
    scores = np.asarray(features @ model.coef.T, dtype=np.float64) + model.intercept
    if model.coef.shape[0] == 1:  # binary: sigmoid of one score, as scikit-learn does
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        raw = np.column_stack([1.0 - positive, positive])
    else:
        scores -= scores.max(axis=1, keepdims=True)
        raw = np.exp(scores)
        raw /= raw.sum(axis=1, keepdims=True)
    out = np.zeros((raw.shape[0], len(ROLE_LABELS)))
    for column, label in enumerate(model.classes):
        out[:, ROLE_LABELS.index(label)] = raw[:, column]
    return out


def choose_threshold(probabilities: np.ndarray, *, coverage: float = TARGET_COVERAGE) -> float:
    """Confidence below which the least confident (1 - coverage) of CV predictions fall."""
    confidence = probabilities.max(axis=1)
    return float(np.round(np.quantile(confidence, 1.0 - coverage), 4))


def explain(model: TextModel, features: sparse.csr_matrix, label_indices: np.ndarray, *,
            top: int = 5) -> list[Evidence]:
    """Per row, the n-grams pushing toward its label and against it.

    A contribution is tf-idf value x (weight for the label - mean weight over labels).
    """
    bounds, terms, values = _ranked_contributions(model, features, label_indices)
    values = np.round(values, 4)  # shown to 4 decimals; a contribution that rounds to 0 is no evidence
    evidence = []
    for start, end in zip(bounds[:-1], bounds[1:]):
        toward = [(terms[i], float(values[i]))
                  for i in range(start, min(start + top, end)) if values[i] > 0]
        against = [(terms[i], float(values[i]))
                   for i in range(end - 1, max(end - top, start) - 1, -1) if values[i] < 0]
        evidence.append(Evidence(toward=tuple(toward), against=tuple(against)))
    return evidence


def strongest_terms(model: TextModel, features: sparse.csr_matrix, label_indices: np.ndarray, *,
                    top: int = 3) -> list[list[str]]:
    """Per row, only the n-grams pushing hardest toward its label (what batch output shows)."""
    bounds, terms, _ = _ranked_contributions(model, features, label_indices, positive_only=True)
    return [list(terms[start:min(start + top, end)]) for start, end in zip(bounds[:-1], bounds[1:])]


def _ranked_contributions(model: TextModel, features: sparse.csr_matrix, label_indices: np.ndarray,
                          *, positive_only: bool = False):
    """Contributions of every stored feature, grouped by row and strongest first.

    Returns row boundaries (like CSR indptr), the ranked feature names and their values.
    All rows are ranked with one argsort, so explaining a batch costs little beside predicting it.
    """
    names, relative = _relative_weights(model)
    rows = features.shape[0]
    row_of = np.repeat(np.arange(rows), np.diff(features.indptr))
    columns = features.indices
    contributions = features.data * relative[np.asarray(label_indices)[row_of], columns]
    if positive_only:
        keep = contributions > 0
        row_of, columns, contributions = row_of[keep], columns[keep], contributions[keep]
    # One float key: the integer part keeps rows apart and 0.5 - arctan/pi maps a contribution
    # decreasingly into (0, 1). Stable, so ties keep column order whatever the chunking.
    order = np.argsort(row_of + (0.5 - np.arctan(contributions) / np.pi), kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=rows))])
    return bounds, names[columns[order]], contributions[order]


def _relative_weights(model: TextModel) -> tuple[np.ndarray, np.ndarray]:
    """Feature names and per-label weights minus the mean over labels (rows in ROLE_LABELS order)."""
    weights = model.coef
    if weights.shape[0] == 1:  # binary models store one row: +w for classes[1]
        weights = np.vstack([-weights[0], weights[0]])
    relative = np.zeros((len(ROLE_LABELS), weights.shape[1]))
    for row, label in enumerate(model.classes):
        relative[ROLE_LABELS.index(label)] = weights[row] - weights.mean(axis=0)
    return model.terms, relative


def title_check(title: str | None, label: str) -> tuple[str | None, bool | None]:
    """What the title suggests, and whether it disagrees with the content's label.

    No title gives (None, None); a verdict needs both a readable title and a confident label.
    """
    if title is None:
        return None, None
    role = title_role(title)
    if role == "unknown" or label == UNCERTAIN:
        return role, None
    return role, role != label


def predict_many(model: TextModel, texts: Sequence[str] | None = None, *,
                 titles: Sequence[str | None], threshold: float, model_id: str,
                 evidence_top: int = 5, features=None) -> list[Prediction]:
    """Predict non-empty descriptions (or their tf-idf `features`); titles may be None."""
    if features is None:
        features = tfidf_features(model, texts)
    probs = probabilities(model, features=features)
    best_labels = probs.argmax(axis=1)
    evidence = explain(model, features, best_labels, top=evidence_top)
    predictions = []
    for i, title in enumerate(titles):
        best = int(best_labels[i])
        confidence = float(probs[i, best])
        label = ROLE_LABELS[best] if confidence >= threshold else UNCERTAIN
        role, mismatch = title_check(title, label)
        predictions.append(Prediction(
            label=label,
            best_label=ROLE_LABELS[best],
            confidence=round(confidence, 4),
            probabilities={lab: round(float(p), 4) for lab, p in zip(ROLE_LABELS, probs[i])},
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
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

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
