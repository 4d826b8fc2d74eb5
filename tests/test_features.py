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


def test_passage_rows_equal_featurising_each_split_passage():
    from jobclass.model import _passage_features

    rows = tiny_rows()
    model = fit([r["description"] for r in rows], [r["label"] for r in rows], passage_words=4).passages
    texts = tokens([r["description"] for r in rows] + ODD_TEXTS + ["a b c d e", "a b c d e f g"])
    for size in (1, 2, 4, 5, 60):
        features, owner, has_known_words = _passage_features(model, texts, size)
        pieces = [(i, piece) for i, t in enumerate(texts) for piece in split_passages(t, size)]
        assert [i for i, _ in pieces] == owner.tolist()
        expected = tfidf_features(model, [piece for _, piece in pieces])
        np.testing.assert_allclose(expected.toarray(), features.toarray(), atol=1e-6)
        assert [bool(set(t) & set(model.vocabulary)) for t in texts] == has_known_words.tolist()
