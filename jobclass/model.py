"""The classifier: build the pipelines, train, read postings, predict, explain.

A `JobModel` has two readers. Chinese postings are short and mostly describe the work, so they
are read whole. English postings are long and mostly generic (company story, benefits, soft
skills) with the work in a few bullets; read whole, the many generic words outvote those few.
They are read in overlapping passages, and the posting takes the verdict of the passage that is
most sure of its label.

Training fits scikit-learn Pipelines. Prediction runs on `TextModel`s, each fitted Pipeline's
state as plain arrays, computed with NumPy alone: importing scikit-learn takes a second,
most of a cold `jobclass predict`, and a test holds both to the same probabilities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
from scipy import sparse

from .generic_words import GENERIC_WORDS
from .text import ANALYZER_VERSION, ROLE_LABELS, analyze, detect_lang, title_role

UNCERTAIN = "uncertain"
DEFAULT_C = 0.3
DEFAULT_VOCABULARY = 1500
PASSAGE_WORDS = 60  # passages overlap by half: any 30 consecutive words lie whole in one passage
EMPTY_TEXT = "empty description"
NO_KNOWN_WORDS = "no words the model knows (is this a job description?)"
TARGET_COVERAGE = 0.9
WINDOW_BLOCK = 4096  # passages scored at a time: scoring peaks near 17 MB (tracemalloc)
SEED = 0


@dataclass(frozen=True)
class Evidence:
    """n-grams that pushed a prediction toward its label, and those that pushed against it."""

    toward: tuple[tuple[str, float], ...]
    against: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Prediction:
    label: str  # one of ROLE_LABELS, or "uncertain" below its reader's threshold
    best_label: str
    confidence: float
    probabilities: dict[str, float]
    evidence: Evidence
    title_role: str | None
    title_mismatch: bool | None
    model_id: str


def _tokens_as_given(tokens: list[str]) -> list[str]:
    return tokens


def build_pipeline(*, C: float = DEFAULT_C, vocabulary: Sequence[str] | None = None,
                   select: int | None = None):
    """TF-IDF, then multinomial logistic regression, over token lists (`analyze` output).

    With `select`, the tf-idf keeps every word (so rows are normalised over all of them) and
    only the `select` chi-squared-best words reach the regression.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.feature_selection import SelectKBest, chi2
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    steps = [("tfidf", TfidfVectorizer(analyzer=_tokens_as_given, sublinear_tf=True, min_df=2, max_df=0.9,
                                       vocabulary=vocabulary, dtype=np.float32))]
    if select is not None:
        steps.append(("select", SelectKBest(chi2, k=select)))
    steps.append(("clf", LogisticRegression(C=C, class_weight="balanced", max_iter=2000)))
    return Pipeline(steps)


def select_vocabulary(tokens: Sequence[list[str]], labels: Sequence[str], *,
                      k: int = DEFAULT_VOCABULARY) -> list[str]:
    """The k terms whose use differs most between labels (chi-squared), in a stable order;
    GENERIC_WORDS only when nothing else is left.

    Real postings are long and mostly generic (company, benefits, soft skills). Over a full
    vocabulary the many generic words, each slightly tied to one label in any written corpus,
    outvote the few words that describe the work; keeping only the most label-specific terms,
    and normalising over those alone, lets the work decide.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.feature_selection import SelectKBest

    vectorizer = TfidfVectorizer(analyzer=_tokens_as_given, sublinear_tf=True, min_df=2, max_df=0.9)
    features = vectorizer.fit_transform(tokens)
    names = vectorizer.get_feature_names_out()
    if features.shape[1] <= k:
        return names.tolist()
    keep = SelectKBest(_work_words_first(names), k=k).fit(features, labels).get_support()
    return names[keep].tolist()


def _work_words_first(names: np.ndarray):
    """chi2 as a SelectKBest score, with GENERIC_WORDS ranked below every other word."""
    from sklearn.feature_selection import chi2

    generic = np.isin(names, list(GENERIC_WORDS))

    def scores(features, labels):
        chi, p_values = chi2(features, labels)
        return np.where(generic, -np.inf, chi), p_values

    return scores


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
        coef = classifier.coef_.astype(np.float64)
        if "select" in pipeline.named_steps:  # unselected words weigh nothing but still normalise
            kept = pipeline.named_steps["select"].get_support()
            coef = np.zeros((coef.shape[0], len(terms)))
            coef[:, kept] = classifier.coef_
        return cls(terms=np.array(terms, dtype=str), idf=vectorizer.idf_.astype(np.float64),
                   coef=coef,
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


@dataclass(frozen=True, eq=False)
class JobModel:
    """The whole-posting reader (Chinese) and the passage reader (every other posting)."""

    whole: TextModel
    passages: TextModel | None = None  # None: read everything whole
    passage_words: int = PASSAGE_WORDS

    @property
    def classes(self) -> tuple[str, ...]:
        return self.whole.classes

    def consistent(self) -> bool:
        return (self.whole.consistent() and self.passage_words > 0
                and (self.passages is None or self.passages.consistent()))


def split_passages(tokens: list[str], size: int) -> list[list[str]]:
    """Windows of `size` tokens overlapping by half; a short text is one passage."""
    step = max(1, size // 2)
    return [tokens[i:i + size] for i in range(0, max(1, len(tokens) - size + step), step)]


def read_by_passages(text: str) -> bool:
    return detect_lang(text) != "zh"


def reads_by_passage(model: JobModel, texts: Sequence[str]) -> np.ndarray:
    """Per posting: will `model` read it by passages (else whole)?"""
    return np.array([model.passages is not None and read_by_passages(t) for t in texts], dtype=bool)


def _fit_whole_reader(tokens: list[list[str]], labels: list[str], *, C: float, k: int) -> TextModel:
    vocabulary = select_vocabulary(tokens, labels, k=k)
    return TextModel.from_pipeline(build_pipeline(C=C, vocabulary=vocabulary).fit(tokens, labels))


def _fit_passage_reader(tokens: list[list[str]], labels: list[str], *, C: float, k: int) -> TextModel:
    """Normalised over every word, a passage that is mostly generic words gets small values for
    its few work words, so the passages that are about the work are the surest ones."""
    pipeline = build_pipeline(C=C, select=k)
    steps = pipeline.named_steps
    # Fitted step by step: k and the scores depend on the vocabulary.
    features = steps["tfidf"].fit_transform(tokens)
    steps["select"].set_params(k=min(k, features.shape[1]),
                               score_func=_work_words_first(steps["tfidf"].get_feature_names_out()))
    selected = steps["select"].fit_transform(features, labels)
    steps["clf"].fit(selected, labels)
    return TextModel.from_pipeline(pipeline)


def fit(texts: Sequence[str], labels: Sequence[str], *, C: float = DEFAULT_C,
        k: int = DEFAULT_VOCABULARY, passage_words: int = PASSAGE_WORDS) -> JobModel:
    """Fit the whole-posting reader on every posting and the passage reader on the passages of
    postings read by passages, each passage carrying its posting's label."""
    texts, labels = list(texts), list(labels)
    tokens = [analyze(text) for text in texts]
    whole = _fit_whole_reader(tokens, labels, C=C, k=k)
    passage_tokens, passage_labels = [], []
    for text, posting_tokens, label in zip(texts, tokens, labels):
        if read_by_passages(text):
            pieces = split_passages(posting_tokens, passage_words)
            passage_tokens += pieces
            passage_labels += [label] * len(pieces)
    passages = None
    if len(set(passage_labels)) >= 2:
        passages = _fit_passage_reader(passage_tokens, passage_labels, C=C, k=k)
    return JobModel(whole=whole, passages=passages, passage_words=passage_words)


def tfidf_features(model: TextModel, token_lists: Iterable[list[str]]) -> sparse.csr_matrix:
    """TfidfVectorizer.transform of token lists, with array operations instead of a loop per token."""
    ids, lengths = _word_ids(model, token_lists)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    return _weigh(model, rows, ids, len(lengths))


def _word_ids(model: TextModel, token_lists: Iterable[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Every token's column (-1 when unknown), all lists concatenated, and each list's length.

    Token lists may come from a generator: each is turned into int32 ids (4 bytes a token, where
    a Python string takes some 50) before the next is made.
    """
    lookup = model.vocabulary.get
    pieces = [np.fromiter(map(lookup, tokens, repeat(-1, len(tokens))), dtype=np.int32, count=len(tokens))
              for tokens in token_lists]
    lengths = np.array([len(piece) for piece in pieces], dtype=np.int64)
    return (np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)), lengths


def _weigh(model: TextModel, rows: np.ndarray, columns: np.ndarray, n_rows: int) -> sparse.csr_matrix:
    """Counts of (row, column) pairs (columns < 0 are unknown words) to l2-normalised tf-idf."""
    known = columns >= 0
    counts = sparse.csr_matrix((np.ones(int(known.sum())), (rows[known], columns[known])),
                               shape=(n_rows, len(model.terms)))
    counts.sum_duplicates()
    row_of = np.repeat(np.arange(n_rows), np.diff(counts.indptr))
    counts.data = _tfidf_values(model, counts.data, counts.indices, row_of, n_rows)
    return counts.astype(np.float32)


def _tfidf_values(model: TextModel, counts: np.ndarray, columns: np.ndarray, row_of: np.ndarray,
                  n_rows: int) -> np.ndarray:
    """TfidfVectorizer's weighting of (row, word, count) entries: tf, idf, then l2 per row."""
    values = (1.0 + np.log(counts) if model.sublinear_tf else counts) * model.idf[columns]
    if model.norm == "l2":
        norms = np.sqrt(np.bincount(row_of, weights=values ** 2, minlength=n_rows))
        norms[norms == 0] = 1.0
        values /= norms[row_of]
    return values


@dataclass(frozen=True, eq=False)
class _Windows:
    """Where each `split_passages` window lies in the concatenated word ids of some postings."""

    owner: np.ndarray  # per window: its posting
    starts: np.ndarray  # per window: first position in the ids
    lengths: np.ndarray  # per window: how many words
    size: int

    @classmethod
    def of(cls, lengths: np.ndarray, size: int) -> _Windows:
        step = max(1, size // 2)
        count = (np.maximum(1, lengths - size + step) + step - 1) // step  # as split_passages makes
        owner = np.repeat(np.arange(len(lengths)), count)
        offset_in_posting = (np.arange(len(owner)) - (np.cumsum(count) - count)[owner]) * step
        starts = (np.cumsum(lengths) - lengths)[owner] + offset_in_posting
        return cls(owner=owner, starts=starts, size=size,
                   lengths=np.clip(lengths[owner] - offset_in_posting, 0, size))

    def positions(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the words of the `chosen` windows, and the index in `chosen` of each."""
        lengths = self.lengths[chosen]
        row = np.repeat(np.arange(len(chosen)), lengths)
        first = np.cumsum(lengths) - lengths
        return self.starts[chosen][row] + np.arange(len(row)) - first[row], row


def _window_probabilities(model: TextModel, ids: np.ndarray,
                          windows: _Windows) -> tuple[np.ndarray, np.ndarray]:
    """What `_linear_probabilities` gives for each window's tf-idf row, without building the rows,
    and whether each window has any word the model knows.

    Windows overlap, so sparse rows would hold every word twice and cost a sort to merge
    repeated words. Instead each window's word ids are copied into one row of a small dense
    grid and sorted in place; runs of equal ids are the words and their counts. Blocks of
    windows keep the temporary arrays small however many postings come at once.
    """
    size = windows.size
    # Every window as a view into the ids (padded so the last windows fit); rows are copied per block.
    every_window = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([ids, np.full(size, -1, dtype=ids.dtype)]), size)
    probabilities, has_words = [], []
    for block in range(0, len(windows.owner), WINDOW_BLOCK):
        starts = windows.starts[block:block + WINDOW_BLOCK]
        grid = every_window[starts]
        grid[np.arange(size) >= windows.lengths[block:block + WINDOW_BLOCK, None]] = -1  # past the end
        grid.sort(axis=1)
        block_probabilities, block_has_words = _sorted_grid_probabilities(model, grid)
        probabilities.append(block_probabilities)
        has_words.append(block_has_words)
    return np.concatenate(probabilities), np.concatenate(has_words)


def _sorted_grid_probabilities(model: TextModel, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_window_probabilities` for one block: a row per window, its word ids sorted, -1 for none."""
    n, size = grid.shape
    flat = grid.ravel()
    run_starts = np.ones(flat.shape, dtype=bool)
    run_starts[1:] = flat[1:] != flat[:-1]
    run_starts[::size] = True  # a run never spans two windows
    run_starts = np.flatnonzero(run_starts)
    counts = np.diff(np.append(run_starts, flat.size)).astype(np.float64)
    words, window = flat[run_starts], run_starts // size
    known = words >= 0
    words, window, counts = words[known], window[known], counts[known]
    values = _tfidf_values(model, counts, words, window, n)
    scores = np.column_stack([np.bincount(window, weights=values * row[words], minlength=n)
                              for row in model.coef])
    return _scores_to_probabilities(model, scores), np.bincount(window, minlength=n) > 0


def _decisive_passages(model: TextModel, token_lists: Iterable[list[str]], size: int):
    """Per posting, the tf-idf row of its `split_passages` window most sure of its label.

    Returns the rows (one per posting) and whether each posting has any word the model knows.
    A window without such words never decides.
    """
    ids, lengths = _word_ids(model, token_lists)
    windows = _Windows.of(lengths, size)
    window_probabilities, window_has_words = _window_probabilities(model, ids, windows)
    sureness = np.where(window_has_words, window_probabilities.max(axis=1), -1.0)
    order = np.lexsort((-sureness, windows.owner))
    first = np.concatenate([[True], windows.owner[order][1:] != windows.owner[order][:-1]])
    positions, row = windows.positions(order[first])
    # Windows cover every word, so a posting knows a word when one of its windows does.
    has_known_words = np.bincount(windows.owner, weights=window_has_words, minlength=len(lengths)) > 0
    return _weigh(model, row, ids[positions], len(lengths)), has_known_words


@dataclass(frozen=True, eq=False)
class Reading:
    """The tf-idf row each posting is judged on: the whole posting, or its most decisive passage."""

    by_passage: np.ndarray  # per posting: read by passages?
    whole: sparse.csr_matrix  # rows of the postings read whole, in posting order
    passage: sparse.csr_matrix  # the deciding passage of each posting read by passages
    has_known_words: np.ndarray  # per posting: any word the model knows? (else nothing to go on)

    def __len__(self) -> int:
        return len(self.by_passage)


def read(model: JobModel, texts: Sequence[str]) -> Reading:
    """Tokenise each posting once and pick what the model will judge it on."""
    by_passage = reads_by_passage(model, texts)
    # Generators: a posting's tokens become word ids before the next posting is tokenised.
    whole = tfidf_features(model.whole, (analyze(t) for t, p in zip(texts, by_passage) if not p))
    has_known_words = np.zeros(len(texts), dtype=bool)
    has_known_words[~by_passage] = whole.getnnz(axis=1) > 0
    passage = sparse.csr_matrix((0, 0), dtype=np.float32)
    if by_passage.any():
        passage, has_known_words[by_passage] = _decisive_passages(
            model.passages, (analyze(t) for t, p in zip(texts, by_passage) if p), model.passage_words)
    return Reading(by_passage=by_passage, whole=whole, passage=passage, has_known_words=has_known_words)


def cross_validated_probabilities(texts: Sequence[str], labels: Sequence[str], *, folds: int = 5,
                                  C: float = DEFAULT_C, k: int = DEFAULT_VOCABULARY,
                                  passage_words: int = PASSAGE_WORDS,
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
        model = fit(texts[train], labels[train], C=C, k=k, passage_words=passage_words)
        out[test] = probabilities(model, texts[test])
    return out


def probabilities(model: JobModel, texts: Sequence[str] | None = None, *,
                  reading: Reading | None = None) -> np.ndarray:
    """Class probabilities, one column per ROLE_LABELS entry (zeros for labels never trained)."""
    if reading is None:
        reading = read(model, texts)
    out = np.zeros((len(reading), len(ROLE_LABELS)))
    out[~reading.by_passage] = _linear_probabilities(model.whole, reading.whole)
    if reading.by_passage.any():
        out[reading.by_passage] = _linear_probabilities(model.passages, reading.passage)
    return out


def _linear_probabilities(model: TextModel, features: sparse.csr_matrix) -> np.ndarray:
    """One reader's probabilities for tf-idf rows, in ROLE_LABELS columns."""
    return _scores_to_probabilities(model, np.asarray(features @ model.coef.T, dtype=np.float64))


def _scores_to_probabilities(model: TextModel, scores: np.ndarray) -> np.ndarray:
    """Softmax (or, for binary models, sigmoid) of tf-idf rows x coef, in ROLE_LABELS columns."""
    scores = scores + model.intercept
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


def choose_thresholds(probabilities: np.ndarray, by_passage: np.ndarray, *,
                      coverage: float = TARGET_COVERAGE) -> dict[str, float]:
    """Per reader, the confidence below which its least confident (1 - coverage) CV predictions fall.

    The readers' confidences are not alike (the surest of many passages is surer than a whole
    posting), so one shared threshold would leave most whole-read postings `uncertain`.
    """
    confidence = probabilities.max(axis=1)
    thresholds = {}
    for reader, rows in (("whole", ~by_passage), ("passages", by_passage)):
        if rows.any():
            thresholds[reader] = float(np.round(np.quantile(confidence[rows], 1.0 - coverage), 4))
    thresholds.setdefault("whole", thresholds.get("passages", 0.0))
    return thresholds


def row_thresholds(thresholds: dict[str, float], by_passage: np.ndarray) -> np.ndarray:
    """Each posting's minimum confidence for a label: its reader's threshold."""
    return np.where(by_passage, thresholds.get("passages", thresholds["whole"]), thresholds["whole"])


def confident(probabilities: np.ndarray, thresholds: dict[str, float], by_passage: np.ndarray) -> np.ndarray:
    """Per posting: is its top probability at or above its reader's threshold?"""
    return probabilities.max(axis=1) >= row_thresholds(thresholds, by_passage)


def decide(probabilities: np.ndarray, thresholds: dict[str, float], by_passage: np.ndarray) -> list[str]:
    """Per posting, its most probable label, or `uncertain` below its reader's threshold."""
    sure = confident(probabilities, thresholds, by_passage)
    return [ROLE_LABELS[b] if s else UNCERTAIN for b, s in zip(probabilities.argmax(axis=1), sure)]


def explain(model: JobModel, reading: Reading, label_indices: np.ndarray, *,
            top: int = 5) -> list[Evidence]:
    """Per posting, the words pushing toward its label and against it, in what it was judged on.

    A contribution is tf-idf value x (weight for the label - mean weight over labels).
    """
    def one_reader(reader: TextModel, features: sparse.csr_matrix, labels: np.ndarray) -> list[Evidence]:
        bounds, terms, values = _ranked_contributions(reader, features, labels)
        values = np.round(values, 4)  # shown to 4 decimals; a contribution that rounds to 0 is no evidence
        evidence = []
        for start, end in zip(bounds[:-1], bounds[1:]):
            toward = [(terms[i], float(values[i]))
                      for i in range(start, min(start + top, end)) if values[i] > 0]
            against = [(terms[i], float(values[i]))
                       for i in range(end - 1, max(end - top, start) - 1, -1) if values[i] < 0]
            evidence.append(Evidence(toward=tuple(toward), against=tuple(against)))
        return evidence

    return _per_reader(model, reading, np.asarray(label_indices), one_reader)


def strongest_terms(model: JobModel, reading: Reading, label_indices: np.ndarray, *,
                    top: int = 3) -> list[list[str]]:
    """Per posting, only the words pushing hardest toward its label (what batch output shows)."""
    def one_reader(reader: TextModel, features: sparse.csr_matrix, labels: np.ndarray) -> list[list[str]]:
        bounds, terms, _ = _ranked_contributions(reader, features, labels, positive_only=True)
        return [list(terms[start:min(start + top, end)]) for start, end in zip(bounds[:-1], bounds[1:])]

    return _per_reader(model, reading, np.asarray(label_indices), one_reader)


def _per_reader(model: JobModel, reading: Reading, label_indices: np.ndarray, work) -> list:
    """Run `work` on each reader's rows and put the results back in posting order."""
    out: list = [None] * len(reading)
    whole_rows = np.flatnonzero(~reading.by_passage)
    for row, result in zip(whole_rows, work(model.whole, reading.whole, label_indices[whole_rows])):
        out[row] = result
    passage_rows = np.flatnonzero(reading.by_passage)
    if len(passage_rows):
        for row, result in zip(passage_rows,
                               work(model.passages, reading.passage, label_indices[passage_rows])):
            out[row] = result
    return out


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


def predict_many(model: JobModel, texts: Sequence[str] | None = None, *,
                 titles: Sequence[str | None], thresholds: dict[str, float], model_id: str,
                 evidence_top: int = 5, reading: Reading | None = None) -> list[Prediction]:
    """Predict non-empty descriptions (or their `reading`); titles may be None."""
    if reading is None:
        reading = read(model, texts)
    probs = probabilities(model, reading=reading)
    best_labels = probs.argmax(axis=1)
    labels = decide(probs, thresholds, reading.by_passage)
    evidence = explain(model, reading, best_labels, top=evidence_top)
    predictions = []
    for i, (title, label) in enumerate(zip(titles, labels)):
        best = int(best_labels[i])
        confidence = float(probs[i, best])
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
