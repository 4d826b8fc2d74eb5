"""The fast prediction path computes exactly what the scikit-learn Pipeline computes."""

import numpy as np
from conftest import tiny_rows

from jobclass.model import TextModel, build_pipeline, explain, probabilities, tfidf_features

ODD_TEXTS = ["", "!!!", "Build RAG agents with LLM APIs and prompts", "负责推荐算法与CTR预估模型训练",
             "SQL dashboards " * 400, "ＲＡＧ与Agent开发，熟悉LangChain", "ranking ranking ranking"]


def fitted():
    rows = tiny_rows()
    pipeline = build_pipeline().fit([r["description"] for r in rows], [r["label"] for r in rows])
    return pipeline, TextModel.from_pipeline(pipeline)


def test_features_equal_the_vectorizer():
    pipeline, model = fitted()
    texts = [r["description"] for r in tiny_rows()] + ODD_TEXTS
    expected = pipeline.named_steps["tfidf"].transform(texts).toarray()
    np.testing.assert_allclose(expected, tfidf_features(model, texts).toarray(), atol=1e-6)


def test_probabilities_equal_the_pipeline():
    pipeline, model = fitted()
    texts = [r["description"] for r in tiny_rows()] + ODD_TEXTS
    np.testing.assert_allclose(pipeline.predict_proba(texts), probabilities(model, texts), atol=1e-6)


def test_binary_models_work_too():
    rows = [r for r in tiny_rows() if r["label"] != "other"]
    pipeline = build_pipeline().fit([r["description"] for r in rows], [r["label"] for r in rows])
    model = TextModel.from_pipeline(pipeline)
    texts = [r["description"] for r in rows]
    np.testing.assert_allclose(pipeline.predict_proba(texts), probabilities(model, texts)[:, :2],
                               atol=1e-6)
    assert (probabilities(model, texts)[:, 2] == 0).all()


def test_evidence_is_sorted_and_signed():
    _, model = fitted()
    features = tfidf_features(model, ODD_TEXTS[2:4])
    for evidence in explain(model, features, np.array([0, 1]), top=3):
        toward = [w for _, w in evidence.toward]
        against = [w for _, w in evidence.against]
        assert toward == sorted(toward, reverse=True) and all(w > 0 for w in toward)
        assert against == sorted(against) and all(w < 0 for w in against)
