"""Retrain on new labeled rows safely: vet them against what we have, compare, then promote."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import config
from .api import fit_with_card, score_table
from .data import (
    Issue,
    content_key,
    labeled_files,
    near_duplicate_pairs,
    read_evaluation_table,
    read_labeled,
    training_issues,
)
from .errors import ConflictError, DataError
from .evaluation import Evaluation, score
from .model import (
    DEFAULT_C,
    DEFAULT_VOCABULARY,
    cross_validated_probabilities,
    reads_by_passage,
)
from .persist import load_model, save_model, set_default, write_text_atomic

DEFAULT_TOLERANCE = 0.01


@dataclass(frozen=True)
class Vetting:
    """What became of each new row before anything is trained."""

    accepted: pd.DataFrame
    rejected: tuple[Issue, ...]
    exact_duplicates: tuple[Issue, ...]  # same text and label as an existing row: skipped
    near_duplicates: tuple[Issue, ...]  # kept, but worth a look
    conflicts: tuple[Issue, ...]  # same posting, other label
    overridden: tuple[str, ...]  # `where` of existing rows dropped because the new label wins


@dataclass(frozen=True)
class Comparison:
    name: str
    current: Evaluation
    candidate: Evaluation


@dataclass(frozen=True)
class RetrainResult:
    vetting: Vetting
    comparisons: tuple[Comparison, ...]
    candidate_path: Path
    current_id: str
    promoted: bool
    reason: str
    saved_rows: Path | None


def existing_paths() -> list[Path]:
    """The project corpus plus every file the user kept from earlier retrains."""
    paths = [config.corpus_dir()]
    if config.user_data_dir().is_dir() and labeled_files([config.user_data_dir()]):
        paths.append(config.user_data_dir())
    return paths


def vet(new_paths: Sequence[Path], existing: pd.DataFrame, *, prefer: str | None = None) -> Vetting:
    """Check new rows against the existing data; conflicts raise unless `prefer` says who wins."""
    new = read_labeled(new_paths)
    frame = new.frame
    keys = {content_key(text): (where, label) for text, where, label in
            zip(existing["description"], existing["where"], existing["label"])}
    accepted_rows, exact, conflicts, overridden = [], [], [], []
    seen_new: dict[str, str] = {}
    rejected = list(new.issues)
    for row in frame.itertuples(index=False):
        key = content_key(row.description)
        if key in seen_new:
            rejected.append(Issue(row.where, f"duplicate of {seen_new[key]}"))
            continue
        seen_new[key] = row.where
        if key in keys:
            where, label = keys[key]
            if label == row.label:
                exact.append(Issue(row.where, f"already in the corpus at {where}"))
                continue
            conflicts.append(Issue(row.where, f"labeled {row.label} but {where} says {label}"))
            if prefer != "new":
                continue
            overridden.append(where)
        accepted_rows.append(row._asdict())
    accepted = pd.DataFrame(accepted_rows, columns=frame.columns)
    near, more_conflicts, more_overridden, accepted = _near_duplicates(existing, accepted, prefer)
    conflicts += more_conflicts
    overridden += more_overridden
    if conflicts and prefer is None:
        shown = "; ".join(str(c) for c in conflicts[:5])
        raise ConflictError(f"{len(conflicts)} new row(s) contradict the corpus: {shown}. Choose who "
                            "wins with --prefer new or --prefer existing")
    return Vetting(accepted=accepted.reset_index(drop=True), rejected=tuple(rejected),
                   exact_duplicates=tuple(exact), near_duplicates=tuple(near),
                   conflicts=tuple(conflicts), overridden=tuple(overridden))


def _near_duplicates(existing: pd.DataFrame, accepted: pd.DataFrame, prefer: str | None):
    texts = existing["description"].tolist() + accepted["description"].tolist()
    near, conflicts, overridden, drop = [], [], [], set()
    for a, b, share in near_duplicate_pairs(texts, against=len(existing)):
        old, new = existing.iloc[a], accepted.iloc[b - len(existing)]
        message = f"near-duplicate of {old['where']} ({share:.0%} shared 5-grams)"
        if old["label"] == new["label"]:
            near.append(Issue(new["where"], message))
            continue
        conflicts.append(Issue(new["where"], f"{message}, labeled {new['label']} but that says "
                                             f"{old['label']}"))
        if prefer == "new":
            overridden.append(old["where"])
        else:
            drop.add(b - len(existing))
    kept = accepted.drop(index=accepted.index[sorted(drop)]) if drop else accepted
    return near, conflicts, overridden, kept


def retrain(new_paths: Sequence[Path], *, eval_paths: Sequence[Path] = (), prefer: str | None = None,
            force: bool = False, tolerance: float = DEFAULT_TOLERANCE,
            report=lambda vetting: None) -> RetrainResult:
    """Vet new rows, train a candidate, compare it with the current model, promote if not worse."""
    existing = read_labeled(existing_paths())
    if existing.issues:
        raise DataError(f"the existing data has problems ({existing.issues[0]}); fix it first")
    vetting = vet(new_paths, existing.frame, prefer=prefer)
    report(vetting)  # shown before the minutes of training, so a wrong file can be stopped
    if vetting.accepted.empty:
        raise DataError("no new rows to learn from (all rejected or already in the corpus)")
    base = existing.frame[~existing.frame["where"].isin(vetting.overridden)]
    combined = pd.concat([base, vetting.accepted], ignore_index=True)
    problems = training_issues(combined)
    if problems:
        raise DataError(str(problems[0]))

    current = load_model(None)
    params = current.card.get("params", {})  # the candidate keeps the current model's recipe
    C, k = float(params.get("C", DEFAULT_C)), int(params.get("vocabulary", DEFAULT_VOCABULARY))
    passage_words = current.model.passage_words
    is_base = np.r_[np.ones(len(base), bool), np.zeros(len(vetting.accepted), bool)]
    texts, labels = combined["description"].tolist(), combined["label"].tolist()
    folds = min(5, int(combined["label"].value_counts().min()))
    oof_current = cross_validated_probabilities(texts, labels, folds=folds, C=C, k=k,
                                                passage_words=passage_words, base_mask=is_base)
    candidate, card, cv_candidate = fit_with_card(
        combined, sources=[str(p) for p in [*existing_paths(), *new_paths]], parent=current.model_id,
        C=C, k=k, passage_words=passage_words)
    titles = combined["title"].tolist()
    comparisons = [Comparison(
        "cross-validation on the combined data",
        current=score(labels, oof_current, thresholds=current.thresholds,
                      by_passage=reads_by_passage(current.model, texts), titles=titles),
        candidate=cv_candidate)]
    for path in eval_paths:
        table = read_evaluation_table(Path(path))
        comparisons.append(Comparison(str(path),
                                      current=score_table(current.model, current.thresholds, table),
                                      candidate=score_table(candidate, card["thresholds"], table)))

    decisive = comparisons[-1]  # a held-out file the user trusts outranks cross-validation
    delta = decisive.candidate.macro_f1 - decisive.current.macro_f1
    promoted = force or delta >= -tolerance
    reason = (f"macro-F1 on {decisive.name}: candidate {decisive.candidate.macro_f1:.4f} vs current "
              f"{decisive.current.macro_f1:.4f} (change {delta:+.4f}, tolerance {tolerance})")
    reason += "; promoted by --force" if force and delta < -tolerance else ""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = save_model(candidate, card, config.user_models_dir() / f"jc-{stamp}-{card['data']['hash'][:8]}")
    saved_rows = None
    if promoted:
        saved_rows = _keep_rows(vetting.accepted, stamp)
        set_default(str(path))
    return RetrainResult(vetting=vetting, comparisons=tuple(comparisons), candidate_path=path,
                         current_id=current.model_id, promoted=promoted, reason=reason,
                         saved_rows=saved_rows)


def _keep_rows(accepted: pd.DataFrame, stamp: str) -> Path:
    """Store accepted rows in the user's data folder so every later retrain includes them."""
    folder = config.user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"added-{stamp}.jsonl"
    columns = ["id", "title", "description", "label", "lang"]
    rows = accepted[columns].assign(id=[f"user-{stamp}-{i}" for i in range(len(accepted))])
    write_text_atomic(path, rows.to_json(orient="records", lines=True, force_ascii=False))
    return path
