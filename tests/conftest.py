"""Shared fixtures: a private JOBCLASS_HOME per test and a tiny model trained on tiny data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED_REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "real"

TINY_POSTINGS = {
    "ai_engineering": [
        "Build retrieval augmented generation over our documents with embeddings, a vector database and prompt engineering on top of the OpenAI API.",
        "Ship LLM features: agents with tool calling, MCP servers, LangChain orchestration and evaluation harnesses for prompts and guardrails.",
        "Integrate Claude and GPT models into the product, design prompts, build a chatbot copilot and document question answering with RAG.",
        "Self-host open-weight models with vLLM, fine-tune Llama with LoRA for support replies, build retrieval and prompt evals.",
        "负责大模型应用开发，搭建RAG知识库问答，设计提示词工程，开发Agent智能体与工具调用，对接大模型API。",
        "基于LangChain开发智能客服，调用大模型API，优化提示词，构建向量数据库检索增强生成流程。",
    ],
    "ml_engineering": [
        "Train fraud detection models on transaction data with gradient boosted trees, feature engineering, offline evaluation and A/B tests.",
        "Own the recommendation and ranking models: training pipelines, feature store, model registry, monitoring and retraining in production.",
        "Build demand forecasting models from sales history, statistics and probability required, deploy with MLOps and monitor drift.",
        "Design CTR prediction models for ads, deep learning in PyTorch, large scale training pipelines and serving latency work.",
        "负责推荐算法与CTR预估模型的训练与部署，特征工程，A/B实验，要求扎实的统计学与线性代数基础。",
        "负责风控模型与反欺诈模型开发，使用XGBoost和LightGBM，搭建模型训练与部署流程，监控模型效果。",
    ],
    "other": [
        "Build dashboards in Tableau and write SQL reports for the sales team, maintain the data warehouse documentation.",
        "Develop REST APIs in Java and Spring Boot, maintain the payments backend, on-call rotation, code reviews.",
        "Run our Kubernetes clusters, Terraform infrastructure as code, CI/CD pipelines and observability with Grafana.",
        "Manage enterprise accounts, run product demos for customers and negotiate contracts for our software platform.",
        "负责数据仓库建设与ETL开发，使用Hive和Spark编写数据报表，支持业务部门的数据分析需求。",
        "负责公司官网前端开发，使用Vue和React，配合后端完成接口联调，优化页面性能。",
    ],
}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def tiny_rows() -> list[dict]:
    rows = []
    for label, texts in TINY_POSTINGS.items():
        for n, text in enumerate(texts):
            lang = "zh" if n >= 4 else "en"
            rows.append({"id": f"{label}-{n}", "title": "Engineer", "description": text,
                         "label": label, "lang": lang})
    return rows


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("jobclass-home")
    monkeypatch.setenv("JOBCLASS_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-corpus")
    write_jsonl(folder / "tiny.jsonl", tiny_rows())
    return folder


@pytest.fixture(scope="session")
def tiny_model(tiny_corpus, tmp_path_factory) -> Path:
    from jobclass.api import train

    return train([tiny_corpus], out=tmp_path_factory.mktemp("models") / "tiny").path


def real_file(lang: str) -> Path:
    path = SHARED_REAL / f"dev_{lang}.csv"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path
