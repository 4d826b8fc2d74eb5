"""The fast prediction path computes exactly what the scikit-learn Pipelines compute."""

import numpy as np
from conftest import tiny_rows

from jobclass.model import (
    JobModel,
    TextModel,
    build_pipeline,
    explain,
    fit,
    probabilities,
    read,
    split_passages,
    tfidf_features,
)
from jobclass.text import analyze

ODD_TEXTS = ["", "!!!", "Build RAG agents with LLM APIs and prompts", "负责推荐算法与CTR预估模型训练",
             "SQL dashboards " * 400, "ＲＡＧ与Agent开发，熟悉LangChain", "ranking ranking ranking"]


def tokens(texts):
    return [analyze(t) for t in texts]


def fitted(select=None, rows=None):
    rows = rows or tiny_rows()
    pipeline = build_pipeline(select=select).fit(tokens([r["description"] for r in rows]),
                                                 [r["label"] for r in rows])
    return pipeline, TextModel.from_pipeline(pipeline)


def test_features_equal_the_vectorizer():
    pipeline, model = fitted()
    texts = tokens([r["description"] for r in tiny_rows()] + ODD_TEXTS)
    expected = pipeline.named_steps["tfidf"].transform(texts).toarray()
    np.testing.assert_allclose(expected, tfidf_features(model, texts).toarray(), atol=1e-6)


def test_whole_postings_get_the_pipeline_probabilities():
    pipeline, model = fitted()
    texts = [r["description"] for r in tiny_rows()] + ODD_TEXTS
    whole_only = JobModel(whole=model)
    np.testing.assert_allclose(pipeline.predict_proba(tokens(texts)), probabilities(whole_only, texts),
                               atol=1e-6)


def test_a_reader_with_selected_words_gets_the_pipeline_probabilities():
    pipeline, model = fitted(select=5)
    texts = tokens([r["description"] for r in tiny_rows()] + ODD_TEXTS)
    assert 5 == np.count_nonzero(np.abs(model.coef).sum(axis=0))  # the rest only normalise
    np.testing.assert_allclose(pipeline.predict_proba(texts),
                               probabilities(JobModel(whole=model), [" ".join(t) for t in texts]),
                               atol=1e-6)


def test_english_postings_take_the_surest_passage():
    rows = tiny_rows()
    model = fit([r["description"] for r in rows], [r["label"] for r in rows], passage_words=4)
    assert model.passages is not None
    long_posting = ("We are a friendly company with great benefits and a kind team. "
                    "You will train fraud models and ranking models on our data. "
                    "We offer remote work, a learning budget and equal opportunity.")
    passages = split_passages(analyze(long_posting), 4)
    assert len(passages) > 3
    each = probabilities(JobModel(whole=model.passages), [" ".join(p) for p in passages])
    surest = each[each.max(axis=1).argmax()]
    np.testing.assert_allclose(surest, probabilities(model, [long_posting])[0], atol=1e-6)
    chinese = "负责推荐算法与CTR预估模型训练"
    np.testing.assert_allclose(probabilities(JobModel(whole=model.whole), [chinese]),
                               probabilities(model, [chinese]), atol=1e-9)


def test_passages_overlap_by_half_and_cover_the_text():
    words = [str(i) for i in range(10)]
    assert [words[0:4], words[2:6], words[4:8], words[6:10]] == split_passages(words, 4)
    assert [words[:3]] == split_passages(words[:3], 4)
    assert [[]] == split_passages([], 4)
    assert [words[0:5], words[2:7], words[4:9], words[6:10]] == split_passages(words, 5)
    assert [[w] for w in words] == split_passages(words, 1)


def test_binary_models_work_too():
    rows = [r for r in tiny_rows() if r["label"] != "other"]
    pipeline, model = fitted(rows=rows)
    texts = [r["description"] for r in rows]
    probs = probabilities(JobModel(whole=model), texts)
    np.testing.assert_allclose(pipeline.predict_proba(tokens(texts)), probs[:, :2], atol=1e-6)
    assert (probs[:, 2] == 0).all()


def test_evidence_is_sorted_and_signed():
    rows = tiny_rows()
    model = fit([r["description"] for r in rows], [r["label"] for r in rows], passage_words=4)
    texts = ODD_TEXTS[2:4]
    for evidence in explain(model, read(model, texts), np.array([0, 1]), top=3):
        toward = [w for _, w in evidence.toward]
        against = [w for _, w in evidence.against]
        assert toward == sorted(toward, reverse=True) and all(w > 0 for w in toward)
        assert against == sorted(against) and all(w < 0 for w in against)


def test_windows_score_and_decide_as_featurising_each_split_passage_would():
    from jobclass.model import (
        _decisive_passages,
        _linear_probabilities,
        _window_probabilities,
        _Windows,
        _word_ids,
    )

    rows = tiny_rows()
    model = fit([r["description"] for r in rows], [r["label"] for r in rows], passage_words=4).passages
    texts = tokens([r["description"] for r in rows] + ODD_TEXTS + ["a b c d e", "a b c d e f g"])
    texts.append(["ranking", "ranking", "prompt", "ranking"] * 5)  # repeated words in every window
    ids, lengths = _word_ids(model, texts)
    for size in (1, 2, 4, 5, 60):
        windows = _Windows.of(lengths, size)
        pieces = [(i, piece) for i, t in enumerate(texts) for piece in split_passages(t, size)]
        assert [i for i, _ in pieces] == windows.owner.tolist()
        expected = tfidf_features(model, [piece for _, piece in pieces])
        probs, has_words = _window_probabilities(model, ids, windows)
        np.testing.assert_allclose(_linear_probabilities(model, expected), probs, atol=1e-6)
        assert (expected.getnnz(axis=1) > 0).tolist() == has_words.tolist()

        decisive, has_known_words = _decisive_passages(model, texts, size)
        for posting in range(len(texts)):
            own = [piece for i, piece in pieces if i == posting]
            each = _linear_probabilities(model, tfidf_features(model, own))
            known = tfidf_features(model, own).getnnz(axis=1) > 0
            surest = int(np.argmax(np.where(known, each.max(axis=1), -1.0)))
            np.testing.assert_allclose(tfidf_features(model, [own[surest]]).toarray()[0],
                                       decisive[posting].toarray()[0], atol=1e-6)
        assert [bool(set(t) & set(model.vocabulary)) for t in texts] == has_known_words.tolist()


def test_windows_scored_in_blocks_score_the_same(monkeypatch):
    import jobclass.model
    from jobclass.model import _window_probabilities, _Windows, _word_ids

    rows = tiny_rows()
    model = fit([r["description"] for r in rows], [r["label"] for r in rows], passage_words=4).passages
    ids, lengths = _word_ids(model, tokens([r["description"] for r in rows] + ODD_TEXTS))
    windows = _Windows.of(lengths, 4)
    at_once = _window_probabilities(model, ids, windows)
    monkeypatch.setattr(jobclass.model, "WINDOW_BLOCK", 3)
    in_blocks = _window_probabilities(model, ids, windows)
    assert len(windows.owner) > 10 * 3
    np.testing.assert_array_equal(at_once[0], in_blocks[0])
    np.testing.assert_array_equal(at_once[1], in_blocks[1])


def test_generic_words_never_reach_either_reader_while_work_words_remain():
    from jobclass.generic_words import GENERIC_WORDS

    boilerplate = ["clear", "written", "deadlines", "requirements"]
    assert set(boilerplate) <= GENERIC_WORDS
    rows = tiny_rows()
    for row in rows:  # make the boilerplate the best separator of `other` in this data
        if row["label"] == "other":
            row["description"] += " " + " ".join(boilerplate * 3)
    texts, labels = [r["description"] for r in rows], [r["label"] for r in rows]
    plain_chi2 = build_pipeline(select=8).fit(tokens(texts), labels)
    chosen = plain_chi2.named_steps["tfidf"].get_feature_names_out()[
        plain_chi2.named_steps["select"].get_support()]
    assert set(boilerplate) <= set(chosen)  # so the test below can fail

    model = fit(texts, labels, k=8, passage_words=6)
    for reader in (model.whole, model.passages):
        weighed = set(reader.terms[np.abs(reader.coef).sum(axis=0) > 0])
        assert 8 == len(weighed)
        assert not weighed & GENERIC_WORDS
