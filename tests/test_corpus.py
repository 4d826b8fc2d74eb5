"""The project's own corpus meets the bar issue #2 sets, and the validator accepts all of it."""

import pytest

from jobclass import config
from jobclass.data import validate_corpus
from jobclass.text import title_role


@pytest.fixture(scope="module")
def corpus():
    return validate_corpus([config.corpus_dir()]).frame  # raises on any schema or duplicate problem


def test_size_and_label_balance(corpus):
    assert len(corpus) >= 1500
    shares = corpus["label"].value_counts(normalize=True)
    assert set(shares.index) == {"ai_engineering", "ml_engineering", "other"}
    assert shares.min() >= 0.25, shares.to_dict()


def test_chinese_share_spread_over_labels(corpus):
    chinese = corpus[corpus["lang"] == "zh"]
    assert len(chinese) >= 300 and len(chinese) / len(corpus) >= 0.20
    assert chinese["label"].value_counts().min() >= 60


def test_titles_that_lie_and_mixed_postings(corpus):
    declared = corpus["title_role_declared"]
    assert (declared != corpus["label"]).mean() >= 0.30
    keyword = corpus["title"].map(title_role)
    assert (keyword != corpus["label"]).mean() >= 0.30  # by our own keyword reading too
    assert corpus["mixed"].mean() >= 0.15


def test_lengths_spread_and_english_median(corpus):
    lengths = corpus["description"].str.len()
    english = lengths[corpus["lang"] == "en"]
    assert english.median() >= 1500
    assert lengths.min() < 600 and lengths.max() > 5000


def test_every_row_has_a_title_and_id(corpus):
    assert corpus["title"].str.strip().ne("").all()
    assert corpus["id"].is_unique


def test_data_card_counts_are_current(corpus):
    from jobclass.corpus_report import counts_block

    card = (config.corpus_dir().parent / "README.md").read_text(encoding="utf-8")
    assert counts_block(corpus) in card, "run: python -m jobclass.corpus_report"
