"""The model decides from content: titles never count, and the shipped model is reproducible."""

import re

import numpy as np
import pytest
from conftest import real_file

from jobclass import config
from jobclass.api import classify, evaluate_file
from jobclass.data import corpus_hash, validate_corpus
from jobclass.model import (
    ROLE_LABELS,
    fit,
    predict_many,
    probabilities,
)
from jobclass.persist import load_model

ROLE_TITLES = ["Machine Learning Engineer", "AI Engineer", "ML Engineer", "Data Scientist",
               "Applied Scientist", "LLM Engineer", "GenAI Engineer", "AI/ML Engineer",
               "Data Analyst", "Software Engineer", "Research Scientist", "Prompt Engineer",
               "MLOps Engineer", "Data Engineer", "AI Specialist"]
ROLE_TITLES_ZH = ["算法工程师", "AI工程师", "大模型工程师", "机器学习工程师", "数据科学家",
                  "数据分析师", "大模型算法工程师", "AI训练师", "推荐算法工程师"]
ANY_TITLE = re.compile("|".join(re.escape(t) for t in sorted(ROLE_TITLES + ROLE_TITLES_ZH, key=len,
                                                              reverse=True)), re.IGNORECASE)


@pytest.fixture(scope="module")
def corpus():
    return validate_corpus([config.corpus_dir()]).frame


@pytest.fixture(scope="module")
def shipped():
    return load_model(None)


def swap_titles(text: str, shift: int) -> str:
    def replace(match):
        pool = ROLE_TITLES_ZH if re.search(r"[\u4e00-\u9fff]", match.group()) else ROLE_TITLES
        current = next((i for i, t in enumerate(pool) if t.lower() == match.group().lower()), 0)
        return pool[(current + shift) % len(pool)]
    return ANY_TITLE.sub(replace, text)


def test_swapping_or_removing_role_titles_changes_no_prediction(corpus, shipped):
    texts = corpus["description"].tolist()
    touched = [i for i, t in enumerate(texts) if ANY_TITLE.search(t)]
    assert len(touched) >= 100  # the test has something to bite on
    before = probabilities(shipped.model, [texts[i] for i in touched]).argmax(1)
    variants = {
        "swapped +1": [swap_titles(texts[i], 1) for i in touched],
        "swapped +5": [swap_titles(texts[i], 5) for i in touched],
        "removed": [ANY_TITLE.sub(" ", texts[i]) for i in touched],
    }
    for name, changed in variants.items():
        after = probabilities(shipped.model, changed).argmax(1)
        rate = float((after != before).mean())
        assert rate < 0.01, f"{name}: {rate:.2%} of {len(touched)} predictions changed"


def test_the_title_argument_never_changes_the_label(shipped):
    text = "Build retrieval over our help center with embeddings and prompt an LLM API to answer."
    labels = {classify(text, title=t, model=shipped).probabilities["ai_engineering"]
              for t in ("Data Analyst", "Machine Learning Engineer", None, "")}
    assert 1 == len(labels)


def test_shipped_model_is_the_one_the_corpus_produces(corpus, shipped):
    assert corpus_hash(corpus) == shipped.card["data"]["hash"], (
        "the corpus changed since the shipped model was trained; retrain it (see README)")
    texts, labels = corpus["description"].tolist(), corpus["label"].tolist()
    params = shipped.card["params"]
    rebuilt = fit(texts, labels, C=params["C"], k=params["vocabulary"],
                  passage_words=params["passage_words"])
    assert shipped.model.passages is not None
    for mine, theirs in [(rebuilt.whole, shipped.model.whole), (rebuilt.passages, shipped.model.passages)]:
        assert mine.terms.tolist() == theirs.terms.tolist()
        assert list(ROLE_LABELS) == list(mine.classes)
    sample = texts[::25]
    np.testing.assert_allclose(probabilities(shipped.model, sample), probabilities(rebuilt, sample),
                               atol=1e-5)


def test_exactly_one_shipped_model():
    folders = [p for p in config.shipped_models_dir().iterdir() if p.is_dir()]
    assert 1 == len(folders), folders


def test_evidence_points_at_the_work(shipped):
    text = ("Train gradient boosted fraud models on card transactions, engineer features, run "
            "offline evaluation and A/B tests, and monitor drift in production.")
    prediction = predict_many(shipped.model, [text], titles=[None], thresholds=shipped.thresholds,
                              model_id=shipped.model_id)[0]
    assert "ml_engineering" == prediction.best_label
    toward = [term for term, _ in prediction.evidence.toward]
    assert {"fraud", "features", "drift"} & set(toward)
    assert all(weight > 0 for _, weight in prediction.evidence.toward)
    assert all(weight < 0 for _, weight in prediction.evidence.against)


@pytest.mark.real
@pytest.mark.parametrize("lang, floor", [("en", 0.85), ("zh", 0.88)])
def test_real_postings(lang, floor, shipped):
    """The targets: 0.85 macro-F1 in both languages and 0.75 accuracy where the title lies.

    The shipped model measures 0.86 (en) and 0.90 (zh) (see the README); Chinese keeps a floor
    a little under that, as its 80 rows make every posting worth 0.01-0.02.
    """
    evaluation = evaluate_file(real_file(lang), model=shipped)
    assert evaluation.macro_f1 >= floor
    assert evaluation.mismatch_accuracy >= 0.75


def test_each_reader_gets_its_own_threshold():
    from jobclass.evaluation import score
    from jobclass.model import choose_thresholds, decide, row_thresholds

    sure, unsure = [0.9, 0.05, 0.05], [0.5, 0.3, 0.2]
    probs = np.array([sure] * 10 + [unsure] * 10)
    by_passage = np.r_[np.ones(10, bool), np.zeros(10, bool)]
    thresholds = choose_thresholds(probs, by_passage, coverage=0.9)
    assert {"passages": 0.9, "whole": 0.5} == thresholds
    assert [0.9] * 10 + [0.5] * 10 == row_thresholds(thresholds, by_passage).tolist()
    gold = ["ai_engineering"] * 20
    assert 1.0 == score(gold, probs, thresholds=thresholds, by_passage=by_passage).coverage
    assert 0.5 == score(gold, probs, thresholds={"whole": 0.9}).coverage  # one shared threshold
    assert ["ai_engineering", "uncertain"] == decide(np.array([unsure, unsure]), thresholds,
                                                     np.array([False, True]))
