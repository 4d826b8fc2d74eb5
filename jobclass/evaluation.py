"""Scoring predictions against gold labels: per-class figures, coverage, title-only baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import confident
from .text import ROLE_LABELS, title_role


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
    thresholds: dict[str, float]  # per reader: "whole", and "passages" when the model has it
    coverage: float
    covered_accuracy: float
    mismatch_rows: int
    mismatch_accuracy: float | None
    title_rows: int
    title_only_accuracy: float | None
    title_only_macro_f1: float | None


def score(gold: Sequence[str], probabilities: np.ndarray, *, thresholds: dict[str, float],
          by_passage: np.ndarray | None = None, titles: Sequence[str] | None = None,
          mismatch: Sequence[bool] | None = None) -> Evaluation:
    """Evaluate probabilities against gold labels.

    Coverage counts the rows at or above their reader's threshold (`by_passage` says which rows
    were read by passages; without it every row counts as read whole).

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
    if by_passage is None:
        by_passage = np.zeros(len(gold), dtype=bool)
    covered = confident(probabilities, thresholds, np.asarray(by_passage))
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
        thresholds=dict(thresholds),
        coverage=round(float(covered.mean()), 4),
        covered_accuracy=round(float(correct[covered].mean()), 4) if covered.any() else 0.0,
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
