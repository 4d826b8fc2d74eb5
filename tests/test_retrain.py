"""Retraining: new rows are vetted, the candidate is compared, the shipped corpus is untouched."""

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import TINY_POSTINGS

from jobclass.cli import cli

NEW_ROWS = [
    {"description": "Design prompts and an evaluation harness for our Gemini based assistant, add "
                    "retrieval over help center articles and tool calling for order lookups.",
     "label": "ai_engineering"},
    {"description": "Train churn prediction models on subscription data with LightGBM, own the "
                    "feature pipeline, backtests and the monthly retraining job.",
     "label": "ml_engineering"},
    {"description": "Maintain Airflow ETL jobs and dbt models feeding the finance warehouse; no "
                    "modelling, lots of SQL and data quality checks.",
     "label": "other"},
    {"description": "Prepare quarterly slides for the board.", "label": "management"},
    {"description": "   ", "label": "other"},
]


@pytest.fixture()
def project(tiny_corpus, tiny_model, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    shipped = tmp_path / "shipped"
    shutil.copytree(tiny_model, shipped / "base")
    monkeypatch.setenv("JOBCLASS_CORPUS", str(corpus))
    monkeypatch.setenv("JOBCLASS_SHIPPED_MODELS", str(shipped))
    return corpus


def write_csv(path, rows):
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_conflicts_stop_the_run_before_training(project, tmp_path):
    conflict = {"description": TINY_POSTINGS["other"][0], "label": "ml_engineering"}
    new = write_csv(tmp_path / "new.csv", [*NEW_ROWS, conflict])
    result = CliRunner().invoke(cli, ["retrain", str(new)])
    assert 1 == result.exit_code
    assert "contradict the corpus" in result.stderr and "--prefer" in result.stderr
    assert "new.csv line 7" in result.stderr
    listing = CliRunner().invoke(cli, ["models", "list"])
    assert 1 == sum(1 for line in listing.stdout.splitlines()[1:])


def test_retrain_reports_compares_promotes_and_keeps_both(project, tmp_path, private_home):
    corpus_before = (project / "tiny.jsonl").read_bytes()
    duplicate = {"description": TINY_POSTINGS["ai_engineering"][1], "label": "ai_engineering"}
    conflict = {"description": TINY_POSTINGS["other"][0], "label": "ml_engineering"}
    new = write_csv(tmp_path / "new.csv", [*NEW_ROWS, duplicate, conflict])
    result = CliRunner().invoke(cli, ["retrain", str(new), "--prefer", "existing", "--force",
                                      "--eval", str(project / "tiny.jsonl")])
    assert 0 == result.exit_code, result.stderr
    assert "new rows accepted: 3" in result.stderr
    assert "new.csv line 5: unknown label 'management'" in result.stderr
    assert "new.csv line 6: empty description" in result.stderr
    assert "already in the corpus: 1" in result.stderr
    assert "conflicts: 1" in result.stderr
    assert "cross-validation on the combined data:" in result.stdout
    assert "current" in result.stdout and "candidate" in result.stdout
    assert "promoted to default" in result.stdout
    assert corpus_before == (project / "tiny.jsonl").read_bytes()
    kept = list((private_home / "data").glob("*.jsonl"))
    assert 1 == len(kept)
    assert 3 == len(kept[0].read_text(encoding="utf-8").splitlines())
    listing = CliRunner().invoke(cli, ["models", "list"]).stdout
    assert "base" in listing
    candidate = json.loads(CliRunner().invoke(cli, ["models", "show", "--json"]).stdout)
    assert "base" == candidate["parent"]
    assert 18 - 0 + 3 == candidate["data"]["rows"]


def test_rows_kept_from_a_retrain_are_part_of_the_next(project, tmp_path, private_home):
    first = write_csv(tmp_path / "first.csv", NEW_ROWS[:3])
    assert 0 == CliRunner().invoke(cli, ["retrain", str(first), "--force"]).exit_code
    again = CliRunner().invoke(cli, ["retrain", str(first), "--force"])
    assert 1 == again.exit_code
    assert "already in the corpus" in again.stderr or "no new rows" in again.stderr


def test_unknown_labels_list_the_allowed_ones(project, tmp_path):
    new = write_csv(tmp_path / "new.csv", [{"description": "Write SQL", "label": "analytics"}])
    result = CliRunner().invoke(cli, ["retrain", str(new)])
    assert 1 == result.exit_code
    assert "allowed: ai_engineering, ml_engineering, other" in result.stderr


def test_subset_of_labels_is_fine(project, tmp_path):
    rows = [r for r in NEW_ROWS if r["label"] == "ml_engineering"]
    new = write_csv(tmp_path / "new.csv", rows)
    result = CliRunner().invoke(cli, ["retrain", str(new)])
    assert 0 == result.exit_code, result.stderr
    assert "new rows accepted: 1" in result.stderr


def test_worse_candidate_is_not_promoted(project, tmp_path, private_home):
    """Flipped labels on a held-out file make the candidate worse there: it stays a candidate."""
    flipped = [{"description": t + " Extra sentence about the team.", "label": "other"}
               for t in TINY_POSTINGS["ai_engineering"]]
    new = write_csv(tmp_path / "new.csv", flipped)
    result = CliRunner().invoke(cli, ["retrain", str(new), "--eval", str(project / "tiny.jsonl"),
                                      "--tolerance", "0", "--prefer", "new"])
    assert 0 == result.exit_code, result.stderr
    assert "NOT promoted" in result.stdout
    assert not (private_home / "default").exists()
    assert not list(private_home.glob("data/*.jsonl"))


def test_the_candidate_keeps_the_current_models_recipe(project, tmp_path, monkeypatch):
    from jobclass.api import fit_with_card
    from jobclass.data import read_labeled
    from jobclass.persist import save_model

    shipped = tmp_path / "shipped-short-passages"
    model, card, _ = fit_with_card(read_labeled([project]).frame, C=2.0, k=40, passage_words=5)
    save_model(model, card, shipped / "short")
    monkeypatch.setenv("JOBCLASS_SHIPPED_MODELS", str(shipped))
    result = CliRunner().invoke(cli, ["retrain", str(write_csv(tmp_path / "new.csv", NEW_ROWS[:3]))])
    assert 0 == result.exit_code, result.stderr
    candidate = json.loads(CliRunner().invoke(cli, ["models", "show", "--json"]).stdout)
    assert "short" == candidate["parent"]
    assert {"C": 2.0, "vocabulary": 40, "passage_words": 5} == {
        key: candidate["params"][key] for key in ("C", "vocabulary", "passage_words")}
