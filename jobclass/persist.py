"""Save and load models with their cards; integrity, trust and version checks.

A model is a folder: `model.skops` (the fitted Pipeline, in a format that cannot run code
when loaded), `card.json` for programs and `card.md` for people. Folders are written
under a temporary name and renamed into place, so a crash never leaves half a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import config
from .errors import ModelError

MODEL_FILE = "model.skops"
CARD_JSON = "card.json"
CARD_MD = "card.md"
DEFAULT_POINTER = "default"
# The only non-sklearn object a jobclass model holds: its tokenizer, a plain function.
TRUSTED_TYPES = ("jobclass.text.analyze",)


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    path: Path
    pipeline: object
    card: dict

    @property
    def threshold(self) -> float:
        return float(self.card["threshold"])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import platform

    import numpy
    import scipy
    import skops
    import sklearn

    from . import __version__

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "skops": skops.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
            "jobclass": __version__}


def save_model(pipeline, card: dict, destination: Path) -> Path:
    """Write a model folder atomically; refuse to overwrite an existing one."""
    import skops.io as sio

    destination = Path(destination)
    if destination.exists():
        raise ModelError(f"{destination} already exists; choose another --out or remove it first")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        sio.dump(pipeline, staging / MODEL_FILE)
        card = {**card, "id": destination.name, "model_sha256": sha256_file(staging / MODEL_FILE)}
        write_text_atomic(staging / CARD_JSON, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        write_text_atomic(staging / CARD_MD, render_card_markdown(card))
        os.rename(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination


def write_text_atomic(path: Path, text: str) -> None:
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                         prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def render_card_markdown(card: dict) -> str:
    metrics = card.get("cv_metrics", {})
    lines = [
        f"# Model card: {card['id']}", "",
        f"- created: {card.get('created')}",
        f"- parent model: {card.get('parent') or 'none'}",
        f"- training data: {card['data']['rows']} postings, hash `{card['data']['hash'][:16]}`",
        f"- by label: {card['data']['by_label']}",
        f"- by language: {card['data']['by_lang']}",
        f"- sources: {', '.join(card['data'].get('sources', []))}",
        f"- parameters: {card.get('params')}",
        f"- uncertainty threshold: {card['threshold']} (max probability; chosen so "
        f"{card.get('target_coverage', 0.9):.0%} of cross-validated predictions are covered)",
        f"- versions: {card.get('versions')}", "",
        "## Cross-validated metrics (stratified 5-fold, seed 0)", "",
        f"macro-F1 {metrics.get('macro_f1')}, accuracy {metrics.get('accuracy')}, "
        f"coverage {metrics.get('coverage')}", "",
        "| label | precision | recall | F1 | support |", "|---|---|---|---|---|",
    ]
    for label, scores in metrics.get("per_class", {}).items():
        lines.append(f"| {label} | {scores['precision']} | {scores['recall']} | {scores['f1']} "
                     f"| {scores['support']} |")
    lines += ["", "The title is never a feature; role-title phrases in the description are masked.",
              "Load with `jobclass --model <id or path>`; `model.skops` loads without running code.", ""]
    return "\n".join(lines)


def model_dirs() -> list[Path]:
    """Where models are looked up by id: the user's own first, then the shipped ones."""
    return [config.user_models_dir(), config.shipped_models_dir()]


def list_models() -> list[tuple[Path, dict | None]]:
    """Every model folder with its card (None when the card is unreadable)."""
    found = []
    for base in model_dirs():
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if folder.is_dir() and not folder.name.startswith("."):
                try:
                    card = json.loads((folder / CARD_JSON).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    card = None
                found.append((folder, card))
    return found


def default_model_id() -> str:
    """The user's chosen default if set, else the single shipped model."""
    pointer = config.user_home() / DEFAULT_POINTER
    if pointer.is_file():
        chosen = pointer.read_text(encoding="utf-8").strip()
        if chosen:
            return chosen
    shipped = [f for f in sorted(config.shipped_models_dir().glob("*/" + CARD_JSON))]
    if not shipped:
        raise ModelError("no model found; train one with: jobclass train")
    return shipped[0].parent.name


def set_default(model_id: str) -> Path:
    path = resolve_model(model_id)
    pointer = config.user_home() / DEFAULT_POINTER
    pointer.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(pointer, path.name + "\n")
    return path


def resolve_model(spec: str | None) -> Path:
    """A model folder from an id, a folder path or the path of its model.skops."""
    spec = spec or default_model_id()
    candidate = Path(spec)
    if candidate.is_file():
        if candidate.suffix in (".pkl", ".pickle", ".joblib"):
            raise ModelError(f"{spec}: pickle/joblib files can run code when loaded and are refused; "
                             "use a jobclass model folder (model.skops + card.json)")
        return candidate.parent
    if candidate.is_dir():
        return candidate
    for base in model_dirs():
        if (base / spec).is_dir():
            return base / spec
    raise ModelError(f"no model {spec!r}; see `jobclass models list` or train one with: jobclass train")


def load_model(spec: str | None = None) -> LoadedModel:
    """Load a model folder, refusing anything corrupt, edited, untrusted or incompatible."""
    import skops.io as sio
    import sklearn

    folder = resolve_model(spec)
    retrain = f"retrain it with: jobclass train --out {folder}-new"
    card_path, model_path = folder / CARD_JSON, folder / MODEL_FILE
    if not model_path.is_file() or not card_path.is_file():
        missing = MODEL_FILE if not model_path.is_file() else CARD_JSON
        raise ModelError(f"model {folder}: {missing} is missing; {retrain}")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        expected_hash = card["model_sha256"]
        saved_version = card["versions"]["scikit-learn"]
        float(card["threshold"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(f"model {folder}: {CARD_JSON} is unreadable or incomplete; {retrain}") from None
    if sha256_file(model_path) != expected_hash:
        raise ModelError(f"model {folder}: {MODEL_FILE} does not match its card (truncated, corrupted "
                         f"or edited); {retrain}")
    if _minor(saved_version) != _minor(sklearn.__version__):
        raise ModelError(f"model {folder} was saved with scikit-learn {saved_version} but "
                         f"{sklearn.__version__} is installed; {retrain}")
    try:
        untrusted = sio.get_untrusted_types(file=model_path)
    except Exception:
        raise ModelError(f"model {folder}: {MODEL_FILE} is not a readable skops file; {retrain}") from None
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise ModelError(f"model {folder}: refused, {MODEL_FILE} references types that could run code "
                         f"({', '.join(unexpected[:5])}); only load models you trained")
    try:
        pipeline = sio.load(model_path, trusted=list(TRUSTED_TYPES))
    except Exception:
        raise ModelError(f"model {folder}: {MODEL_FILE} could not be loaded; {retrain}") from None
    classes = [str(c) for c in getattr(pipeline, "classes_", [])]
    if classes != list(card.get("labels", [])):
        raise ModelError(f"model {folder}: the card's labels {card.get('labels')} do not match the "
                         f"model's {classes}; {retrain}")
    return LoadedModel(model_id=folder.name, path=folder, pipeline=pipeline, card=card)


def _minor(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])
