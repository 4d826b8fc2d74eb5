"""Save and load models with their cards; integrity, trust and version checks.

A model is a folder: `model.npz` (the fitted Pipeline's state as plain arrays: vocabulary,
idf, coefficients; read with allow_pickle=False, so loading can never run code),
`card.json` for programs and `card.md` for people. Folders are written under a temporary
name and renamed into place, so a crash never leaves half a model.
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

MODEL_FILE = "model.npz"
CARD_JSON = "card.json"
CARD_MD = "card.md"
DEFAULT_POINTER = "default"
ARRAYS = ("terms", "idf", "coef", "intercept", "classes", "settings")
PASSAGE_PREFIX = "passage_"
PASSAGE_ARRAYS = tuple(PASSAGE_PREFIX + name for name in ARRAYS if name != "settings")


@dataclass(frozen=True)
class LoadedModel:
    model_id: str
    path: Path
    model: object  # a jobclass.model.JobModel
    card: dict

    @property
    def thresholds(self) -> dict[str, float]:
        """Per reader; cards written before passage reading hold one `threshold`."""
        if "thresholds" in self.card:
            return {reader: float(value) for reader, value in self.card["thresholds"].items()}
        return {"whole": float(self.card["threshold"])}


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
    import sklearn

    from . import __version__

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__, "jobclass": __version__}


def model_arrays(model) -> dict:
    """A JobModel as plain numeric and string arrays (no Python objects, so no pickle)."""
    import numpy as np

    readers = {"": model.whole} | ({PASSAGE_PREFIX: model.passages} if model.passages else {})
    settings = {"sublinear_tf": model.whole.sublinear_tf, "norm": model.whole.norm,
                "analyzer_version": model.whole.analyzer_version,
                "passage_words": model.passage_words}
    arrays = {"settings": np.array(json.dumps(settings))}
    for prefix, reader in readers.items():
        arrays |= {prefix + "terms": reader.terms, prefix + "idf": reader.idf, prefix + "coef": reader.coef,
                   prefix + "intercept": reader.intercept,
                   prefix + "classes": np.array(reader.classes, dtype=str)}
    return arrays


def model_from_arrays(arrays: dict):
    """Models saved before passage reading hold only the whole-posting reader, and still load."""
    from .model import PASSAGE_WORDS, JobModel, TextModel

    settings = json.loads(str(arrays["settings"]))

    def reader(prefix: str) -> TextModel:
        return TextModel(terms=arrays[prefix + "terms"], idf=arrays[prefix + "idf"],
                         coef=arrays[prefix + "coef"], intercept=arrays[prefix + "intercept"],
                         classes=tuple(str(c) for c in arrays[prefix + "classes"]),
                         sublinear_tf=bool(settings["sublinear_tf"]), norm=settings["norm"],
                         analyzer_version=settings["analyzer_version"])

    passages = reader(PASSAGE_PREFIX) if PASSAGE_PREFIX + "terms" in arrays else None
    return JobModel(whole=reader(""), passages=passages,
                    passage_words=int(settings.get("passage_words", PASSAGE_WORDS)))


def save_model(model, card: dict, destination: Path) -> Path:
    """Write a model folder atomically; refuse to overwrite an existing one."""
    import numpy as np

    destination = Path(destination)
    if destination.exists():
        raise ModelError(f"{destination} already exists; choose another --out or remove it first")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        with open(staging / MODEL_FILE, "wb") as handle:
            np.savez_compressed(handle, **model_arrays(model))
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
        f"- uncertainty thresholds: {card.get('thresholds', card.get('threshold'))} (max probability, "
        f"per reader; chosen so {card.get('target_coverage', 0.9):.0%} of each reader's "
        "cross-validated predictions are covered)",
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
              "Use with `jobclass predict --model <id or path>`; `model.npz` holds plain arrays only, "
              "so loading it cannot run code.", ""]
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
    """A model folder from an id, a folder path or the path of its model.npz."""
    spec = spec or default_model_id()
    candidate = Path(spec)
    if candidate.is_file():
        if candidate.suffix in (".pkl", ".pickle", ".joblib"):
            raise ModelError(f"{spec}: pickle/joblib files can run code when loaded and are refused; "
                             "use a jobclass model folder (model.npz + card.json)")
        return candidate.parent
    if candidate.is_dir():
        return candidate
    for base in model_dirs():
        if (base / spec).is_dir():
            return base / spec
    raise ModelError(f"no model {spec!r}; see `jobclass models list` or train one with: jobclass train")


def load_model(spec: str | None = None) -> LoadedModel:
    """Load a model folder, refusing anything corrupt, edited, untrusted or incompatible."""
    import zipfile

    import numpy as np

    from .text import ANALYZER_VERSION

    folder = resolve_model(spec)
    retrain = f"retrain it with: jobclass train --out {folder}-new"
    card_path, model_path = folder / CARD_JSON, folder / MODEL_FILE
    if not model_path.is_file() and not card_path.is_file():
        raise ModelError(f"{folder} is not a jobclass model folder (no {MODEL_FILE}, no {CARD_JSON}); "
                         "see `jobclass models list`")
    if not model_path.is_file() or not card_path.is_file():
        missing = MODEL_FILE if not model_path.is_file() else CARD_JSON
        raise ModelError(f"model {folder}: {missing} is missing; {retrain}")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        expected_hash = card["model_sha256"]
        saved_version = card["versions"]["scikit-learn"]
        thresholds = card["thresholds"] if "thresholds" in card else {"whole": card["threshold"]}
        if "whole" not in thresholds or not all(0 <= float(t) <= 1 for t in thresholds.values()):
            raise ValueError("thresholds")
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(f"model {folder}: {CARD_JSON} is unreadable or incomplete; {retrain}") from None
    if sha256_file(model_path) != expected_hash:
        raise ModelError(f"model {folder}: {MODEL_FILE} does not match its card (truncated, corrupted "
                         f"or edited); {retrain}")
    installed = installed_sklearn_version()
    if _minor(saved_version) != _minor(installed):
        raise ModelError(f"model {folder} was saved with scikit-learn {saved_version} but "
                         f"{installed} is installed; {retrain}")
    if not zipfile.is_zipfile(model_path):
        with open(model_path, "rb") as handle:
            pickled = handle.read(1) == b"\x80"  # every pickle protocol >= 2 starts so
        what = "is a pickle, which could run code; refused" if pickled else "is not a readable model file"
        raise ModelError(f"model {folder}: {MODEL_FILE} {what}; {retrain}")
    try:
        with np.load(model_path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in ARRAYS}
            if PASSAGE_ARRAYS[0] in archive.files:
                arrays |= {name: archive[name] for name in PASSAGE_ARRAYS}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ModelError(f"model {folder}: refused, {MODEL_FILE} contains pickled Python objects, "
                             "which could run code; only load models you trained") from None
        raise ModelError(f"model {folder}: {MODEL_FILE} is not a readable model file; {retrain}") from None
    except (OSError, KeyError, EOFError, zipfile.BadZipFile):
        raise ModelError(f"model {folder}: {MODEL_FILE} is not a readable model file; {retrain}") from None
    try:
        model = model_from_arrays(arrays)
        consistent = model.consistent()
    except (ValueError, KeyError, TypeError):
        consistent = False
    if not consistent:
        raise ModelError(f"model {folder}: {MODEL_FILE} holds inconsistent arrays; {retrain}")
    if model.whole.analyzer_version != ANALYZER_VERSION:
        raise ModelError(f"model {folder} was built with tokenizer version "
                         f"{model.whole.analyzer_version}, this jobclass uses {ANALYZER_VERSION}; {retrain}")
    classes = list(model.classes)
    if classes != list(card.get("labels", [])):
        raise ModelError(f"model {folder}: the card's labels {card.get('labels')} do not match the "
                         f"model's {classes}; {retrain}")
    return LoadedModel(model_id=folder.name, path=folder, model=model, card=card)


def installed_sklearn_version() -> str:
    """Read from package metadata: importing scikit-learn itself would cost a second."""
    from importlib.metadata import version

    return version("scikit-learn")


def _minor(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])
