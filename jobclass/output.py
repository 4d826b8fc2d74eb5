"""Render predictions, evaluations and model lists as text or JSON. Pure: no I/O."""

import json
from dataclasses import asdict

LABEL_ORDER = ("ai_engineering", "ml_engineering", "other")


def prediction_dict(prediction) -> dict:
    return {
        "label": prediction.label,
        "confidence": prediction.confidence,
        "probabilities": prediction.probabilities,
        "evidence": {
            "toward": [{"ngram": t, "weight": w} for t, w in prediction.evidence.toward],
            "against": [{"ngram": t, "weight": w} for t, w in prediction.evidence.against],
        },
        "title_role": prediction.title_role,
        "title_mismatch": prediction.title_mismatch,
        "model_id": prediction.model_id,
    }


def prediction_json(prediction) -> str:
    return json.dumps(prediction_dict(prediction), ensure_ascii=False)


def prediction_text(prediction) -> str:
    lines = [f"label:      {prediction.label}"]
    if prediction.label != prediction.best_label:
        lines[0] += f" (best guess {prediction.best_label}, below the model's threshold)"
    lines.append(f"confidence: {prediction.confidence:.2f}")
    lines.append("probabilities: " + "  ".join(
        f"{label} {prediction.probabilities[label]:.2f}" for label in LABEL_ORDER))
    toward = ", ".join(f"{t} (+{w:.2f})" for t, w in prediction.evidence.toward) or "none"
    against = ", ".join(f"{t} ({w:.2f})" for t, w in prediction.evidence.against) or "none"
    lines.append(f"evidence for {prediction.best_label}: {toward}")
    lines.append(f"evidence against: {against}")
    if prediction.title_role is not None:
        verdict = {True: "MISMATCH: the title says otherwise", False: "title agrees",
                   None: "no verdict"}[prediction.title_mismatch]
        lines.append(f"title suggests: {prediction.title_role} ({verdict})")
    lines.append(f"model: {prediction.model_id}")
    return "\n".join(lines)


def evaluation_json(evaluation, **extra) -> str:
    return json.dumps({**extra, **asdict(evaluation)}, ensure_ascii=False, indent=2)


def _figure(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def evaluation_text(evaluation, *, name: str = "", model_id: str = "") -> str:
    e = evaluation
    lines = [f"evaluation of {model_id} on {name}: {e.rows} postings".strip()]
    lines.append(f"{'label':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}")
    for label in LABEL_ORDER:
        s = e.per_class[label]
        lines.append(f"{label:<16}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}{s.support:>9}")
    lines.append(f"macro-F1 {e.macro_f1:.4f}   accuracy {e.accuracy:.4f}")
    lines.append("confusion (rows gold, columns predicted: ai / ml / other):")
    for label, row in zip(LABEL_ORDER, e.confusion):
        lines.append(f"  {label:<16}" + "".join(f"{n:>6}" for n in row))
    thresholds = ", ".join(f"{reader} {value:.4f}" for reader, value in e.thresholds.items())
    lines.append(f"thresholds ({thresholds}): coverage {e.coverage:.4f}, "
                 f"accuracy on covered rows {e.covered_accuracy:.4f}")
    if e.title_rows:
        lines.append(f"title alone: accuracy {_figure(e.title_only_accuracy)}, macro-F1 "
                     f"{_figure(e.title_only_macro_f1)} ({e.title_rows} rows with a title)")
    if e.mismatch_rows:
        lines.append(f"rows whose title disagrees with the gold label: {e.mismatch_rows}; model "
                     f"accuracy on them {_figure(e.mismatch_accuracy)} (title alone: 0 by definition)")
    return "\n".join(lines)


def models_table(rows: list[tuple[str, str, dict | None, bool]]) -> str:
    """rows: (id, location, card, is_default)."""
    lines = [f"{'':2}{'id':<34}{'where':<9}{'created':<27}{'rows':>6}{'cv macro-F1':>13}"]
    for model_id, where, card, is_default in rows:
        mark = "* " if is_default else "  "
        if card is None:
            lines.append(f"{mark}{model_id:<34}{where:<9}(card unreadable)")
            continue
        lines.append(f"{mark}{model_id:<34}{where:<9}{card.get('created', ''):<27}"
                     f"{card['data']['rows']:>6}{card['cv_metrics']['macro_f1']:>13.4f}")
    return "\n".join(lines)


def summary_text(summary) -> str:
    labels = ", ".join(f"{label} {summary.by_label.get(label, 0)}"
                       for label in (*LABEL_ORDER, "uncertain"))
    line = (f"{summary.rows} rows -> {summary.output}: {labels}; title mismatches "
            f"{summary.mismatches}; errors {summary.errors}")
    if summary.error_reasons:
        line += " (" + ", ".join(f"{r}: {n}" for r, n in summary.error_reasons.items()) + ")"
    return line + f" [text column {summary.text_column!r}, title column {summary.title_column!r}]"


def vetting_text(vetting) -> str:
    lines = [f"new rows accepted: {len(vetting.accepted)}"]
    for title, issues in (("rejected", vetting.rejected), ("already in the corpus", vetting.exact_duplicates),
                          ("near-duplicates of the corpus (kept)", vetting.near_duplicates),
                          ("conflicts", vetting.conflicts)):
        lines.append(f"{title}: {len(issues)}")
        lines += [f"  {issue}" for issue in issues[:10]]
        if len(issues) > 10:
            lines.append(f"  ... and {len(issues) - 10} more")
    if vetting.overridden:
        lines.append(f"corpus rows left out because the new label wins: {len(vetting.overridden)}")
    return "\n".join(lines)


def comparison_text(comparisons, *, current_id: str, candidate_id: str) -> str:
    lines = []
    for comparison in comparisons:
        lines.append(f"{comparison.name}:")
        lines.append(f"  {'':<22}{'current':>12}{'candidate':>12}")
        pairs = [("macro-F1", comparison.current.macro_f1, comparison.candidate.macro_f1)]
        pairs += [(f"F1 {label}", comparison.current.per_class[label].f1,
                   comparison.candidate.per_class[label].f1) for label in LABEL_ORDER]
        pairs.append(("coverage", comparison.current.coverage, comparison.candidate.coverage))
        pairs.append(("accuracy on covered", comparison.current.covered_accuracy,
                      comparison.candidate.covered_accuracy))
        lines += [f"  {name:<22}{a:>12.4f}{b:>12.4f}" for name, a, b in pairs]
    lines.append(f"  (current = {current_id}, candidate = {candidate_id})")
    return "\n".join(lines)
