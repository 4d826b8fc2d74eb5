"""Models you can trust: integrity, refusal of code-running files, atomic writes."""

import json
import shutil

import pytest
from click.testing import CliRunner

from jobclass.cli import cli
from jobclass.errors import ModelError
from jobclass.model import probabilities
from jobclass.persist import MODEL_FILE, load_model, save_model, sha256_file


@pytest.fixture()
def model_copy(tiny_model, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model, copy)
    return copy


def edit_card(folder, **changes):
    card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    card.update(changes)
    (folder / "card.json").write_text(json.dumps(card), encoding="utf-8")
    return card


def test_round_trip_keeps_labels_and_threshold(tiny_model):
    loaded = load_model(str(tiny_model))
    assert ["ai_engineering", "ml_engineering", "other"] == list(loaded.model.classes)
    assert {"whole", "passages"} == set(loaded.thresholds)
    assert all(0 < t < 1 for t in loaded.thresholds.values())
    assert "tiny" == loaded.model_id


def test_both_readers_survive_the_round_trip_and_whole_only_models_still_load(tiny_model, tmp_path):
    from dataclasses import replace

    import numpy as np

    loaded = load_model(str(tiny_model))
    assert loaded.model.passages is not None
    whole_only = replace(loaded.model, passages=None)  # the format before passage reading
    card = {k: v for k, v in loaded.card.items() if k not in ("id", "model_sha256")}
    reloaded = load_model(str(save_model(whole_only, card, tmp_path / "whole-only")))
    assert reloaded.model.passages is None
    text = "Train ranking models on click data and serve them behind an API."
    np.testing.assert_allclose(probabilities(whole_only, [text]), probabilities(reloaded.model, [text]))
    assert not np.allclose(probabilities(loaded.model, [text]), probabilities(reloaded.model, [text]))


def test_model_file_path_loads_its_folder(tiny_model):
    assert tiny_model == load_model(str(tiny_model / MODEL_FILE)).path


def test_truncated_model_is_refused_with_the_retrain_command(model_copy):
    data = (model_copy / MODEL_FILE).read_bytes()
    (model_copy / MODEL_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="does not match its card.*jobclass train --out"):
        load_model(str(model_copy))


def test_corrupt_file_with_matching_card_is_refused(model_copy):
    (model_copy / MODEL_FILE).write_bytes(b"not a zip at all")
    edit_card(model_copy, model_sha256=sha256_file(model_copy / MODEL_FILE))
    with pytest.raises(ModelError, match="not a readable model file"):
        load_model(str(model_copy))


def test_card_that_does_not_match_the_model(model_copy):
    edit_card(model_copy, labels=["ai_engineering", "other"])
    with pytest.raises(ModelError, match="labels .* do not match"):
        load_model(str(model_copy))


def test_unreadable_card(model_copy):
    (model_copy / "card.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(ModelError, match="card.json is unreadable"):
        load_model(str(model_copy))


def test_missing_model_file(model_copy):
    (model_copy / MODEL_FILE).unlink()
    with pytest.raises(ModelError, match="model.npz is missing"):
        load_model(str(model_copy))


def test_model_from_another_sklearn_version(model_copy):
    card = json.loads((model_copy / "card.json").read_text(encoding="utf-8"))
    edit_card(model_copy, versions={**card["versions"], "scikit-learn": "1.2.2"})
    with pytest.raises(ModelError, match="saved with scikit-learn 1.2.2 but .* is installed; retrain"):
        load_model(str(model_copy))


class Boom:
    """Unpickling this runs a shell command: what a malicious model file would do."""

    def __init__(self, canary):
        self.canary = canary

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.canary}",))


def test_malicious_model_is_refused_and_never_runs(model_copy, tmp_path):
    """A model file with a pickled payload, its card hash updated to match, must not load."""
    import numpy as np

    canary = tmp_path / "pwned"
    with np.load(model_copy / MODEL_FILE) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["coef"] = np.array([Boom(canary)], dtype=object)
    with open(model_copy / MODEL_FILE, "wb") as handle:
        np.savez(handle, **arrays, allow_pickle=True)
    edit_card(model_copy, model_sha256=sha256_file(model_copy / MODEL_FILE))
    with pytest.raises(ModelError, match="refused.*pickled Python objects.*could run code"):
        load_model(str(model_copy))
    assert not canary.exists()
    result = CliRunner().invoke(cli, ["predict", "some text", "--model", str(model_copy)])
    assert 1 == result.exit_code
    assert result.stderr.startswith("Error: model") and "refused" in result.stderr
    assert not canary.exists()


def test_inconsistent_arrays_are_refused(model_copy):
    import numpy as np

    with np.load(model_copy / MODEL_FILE) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["idf"] = arrays["idf"][:-3]
    with open(model_copy / MODEL_FILE, "wb") as handle:
        np.savez(handle, **arrays)
    edit_card(model_copy, model_sha256=sha256_file(model_copy / MODEL_FILE))
    with pytest.raises(ModelError, match="inconsistent arrays"):
        load_model(str(model_copy))


def test_model_from_another_tokenizer_version(model_copy, monkeypatch):
    import jobclass.text

    saved = jobclass.text.ANALYZER_VERSION
    monkeypatch.setattr(jobclass.text, "ANALYZER_VERSION", 999)
    with pytest.raises(ModelError, match=f"tokenizer version {saved}, this jobclass uses 999; retrain"):
        load_model(str(model_copy))


def test_a_pickle_posing_as_the_model_is_refused(model_copy, tmp_path):
    import pickle

    canary = tmp_path / "pwned"
    (model_copy / MODEL_FILE).write_bytes(pickle.dumps(Boom(canary)))
    edit_card(model_copy, model_sha256=sha256_file(model_copy / MODEL_FILE))
    with pytest.raises(ModelError, match="is a pickle, which could run code; refused"):
        load_model(str(model_copy))
    assert not canary.exists()


def test_pickle_files_are_refused(tmp_path):
    path = tmp_path / "model.joblib"
    path.write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelError, match="pickle/joblib files can run code"):
        load_model(str(path))


def test_interrupted_save_leaves_nothing(tiny_model, tmp_path, monkeypatch):
    import numpy as np

    loaded = load_model(str(tiny_model))

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(loaded.model, loaded.card, tmp_path / "new")
    assert [] == list(tmp_path.iterdir())


def test_save_refuses_to_overwrite(tiny_model):
    loaded = load_model(str(tiny_model))
    with pytest.raises(ModelError, match="already exists"):
        save_model(loaded.model, loaded.card, tiny_model)


def test_models_list_show_use(tiny_corpus, private_home):
    runner = CliRunner()
    trained = runner.invoke(cli, ["train", str(tiny_corpus)])
    assert 0 == trained.exit_code, trained.stderr
    model_id = trained.stderr.strip().split("/")[-1]
    listing = runner.invoke(cli, ["models", "list"])
    assert model_id in listing.stdout
    assert 0 == runner.invoke(cli, ["models", "use", model_id]).exit_code
    listing = runner.invoke(cli, ["models", "list"])
    assert any(line.startswith("* " + model_id) for line in listing.stdout.splitlines())
    shown = runner.invoke(cli, ["models", "show", model_id, "--json"])
    assert model_id == json.loads(shown.stdout)["id"]
    predicted = runner.invoke(cli, ["predict", "Build RAG over LLM APIs with LangChain", "--json"])
    assert model_id == json.loads(predicted.stdout)["model_id"]
