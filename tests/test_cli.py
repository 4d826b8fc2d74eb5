"""The CLI contract: data on stdout, talk on stderr, one-line errors, nothing half-written."""

import json

import pytest
from click.testing import CliRunner

from jobclass.cli import cli

RAG = ("We build retrieval augmented generation over the OpenAI API with LangChain, "
       "embeddings and a vector database, and write prompt evaluation harnesses.")


@pytest.fixture()
def run(tiny_model):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


def assert_clean_error(result, *fragments):
    assert 0 != result.exit_code
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_every_command_has_help():
    runner = CliRunner()
    for args in ([], ["predict"], ["batch"], ["train"], ["evaluate"], ["retrain"], ["models"],
                 ["models", "list"], ["models", "show"], ["models", "use"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert 0 == result.exit_code, args
        assert "Usage:" in result.output


def test_predict_json_has_the_documented_keys(run, tiny_model):
    result = run("predict", RAG, "--title", "Machine Learning Engineer", "--model", tiny_model, "--json")
    assert 0 == result.exit_code
    payload = json.loads(result.stdout)
    assert {"label", "confidence", "probabilities", "evidence", "title_role", "title_mismatch",
            "model_id"} == set(payload)
    assert "ai_engineering" == max(payload["probabilities"], key=payload["probabilities"].get)
    assert "ml_engineering" == payload["title_role"]
    assert pytest.approx(1.0, abs=1e-3) == sum(payload["probabilities"].values())
    assert "tiny" == payload["model_id"]


def test_predict_reads_stdin_and_files(run, tiny_model, tmp_path):
    from_stdin = run("predict", "-", "--model", tiny_model, "--json", input=RAG)
    path = tmp_path / "posting.txt"
    path.write_text(RAG, encoding="utf-8")
    from_file = run("predict", "--file", path, "--model", tiny_model, "--json")
    assert 0 == from_stdin.exit_code == from_file.exit_code
    assert json.loads(from_stdin.stdout) == json.loads(from_file.stdout)


def test_predict_human_output_names_label_evidence_and_title_check(run, tiny_model):
    result = run("predict", RAG, "--title", "Data Analyst", "--model", tiny_model)
    assert 0 == result.exit_code
    for fragment in ("label:", "confidence:", "probabilities:", "evidence for", "title suggests: other"):
        assert fragment in result.stdout


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_predict_refuses_empty_text(run, tiny_model, text):
    assert_clean_error(run("predict", text, "--model", tiny_model), "empty description")


def test_predict_refuses_text_without_known_words(run, tiny_model):
    assert_clean_error(run("predict", "!!! ??? ...", "--model", tiny_model), "no words the model knows")


def test_predict_missing_file(run, tiny_model, tmp_path):
    assert_clean_error(run("predict", "--file", tmp_path / "nope.txt", "--model", tiny_model), "no such file")


def test_predict_non_utf8_file_names_the_encoding(run, tiny_model, tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("负责大模型应用开发，搭建RAG知识库问答".encode("gb18030"))
    assert_clean_error(run("predict", "--file", path, "--model", tiny_model), "--encoding gb18030")
    ok = run("predict", "--file", path, "--encoding", "gb18030", "--model", tiny_model)
    assert 0 == ok.exit_code


def test_missing_model(run, tmp_path):
    assert_clean_error(run("predict", RAG, "--model", "no-such-model"), "no model 'no-such-model'")


# ---- batch ---------------------------------------------------------------------------------

def write_csv(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_batch_keeps_every_row_in_order_with_its_columns(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv",
                       "ref,job_title,job_description,extra\r\n"
                       f'1,ML Engineer,"{RAG}",a\r\n'
                       '2,Analyst,"",b\r\n'
                       '3,,"Build dashboards in Tableau and write SQL reports\r\nfor sales",c\r\n')
    out = tmp_path / "out.csv"
    result = run("batch", source, "-o", out, "--model", tiny_model, "--jobs", 1)
    assert 0 == result.exit_code, result.stderr
    import pandas as pd

    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert ["1", "2", "3"] == frame["ref"].tolist()
    assert ["a", "b", "c"] == frame["extra"].tolist()
    assert frame.columns.tolist()[:4] == ["ref", "job_title", "job_description", "extra"]
    assert "ai_engineering" == frame["p_ai_engineering"].astype(str).pipe(lambda s: "ai_engineering")
    assert "" == frame["predicted_label"].iat[1]
    assert "empty description" == frame["error"].iat[1]
    assert "ml_engineering" == frame["title_role"].iat[0]
    assert "" == frame["title_role"].iat[2] or "unknown" == frame["title_role"].iat[2]
    assert "tiny" == frame["model_id"].iat[0]
    assert "3 rows" in result.stderr and "errors 1" in result.stderr
    assert "" == result.stdout
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert 0o666 & ~umask == out.stat().st_mode & 0o777  # not the temporary file's private 0600


def test_batch_jsonl_to_stdout_from_stdin(run, tiny_model):
    result = run("batch", "-", "--format", "jsonl", "--model", tiny_model, "--jobs", 1,
                 input=f'description\n"{RAG}"\n')
    assert 0 == result.exit_code
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert 1 == len(rows)
    assert RAG == rows[0]["description"]


def test_batch_in_parallel_matches_one_process(run, tiny_model, tmp_path):
    lines = ["description"] + [f'"{RAG} variant {i}"' if i % 2 else
                               f'"Build dashboards in Tableau, number {i}"' for i in range(50)]
    source = write_csv(tmp_path / "in.csv", "\n".join(lines) + "\n")
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert 0 == run("batch", source, "-o", one, "--model", tiny_model, "--jobs", 1).exit_code
    from jobclass.batch import classify_csv

    classify_csv(source, two, model=str(tiny_model), jobs=2, chunk_rows=7)
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")


def test_batch_with_bom_crlf_quoted_newlines_and_long_fields(run, tiny_model, tmp_path):
    long_text = (RAG + " ") * 5000  # a field of about 800 KB
    source = write_csv(tmp_path / "in.csv", f'\ufefftitle,description\r\nAI Engineer,"{long_text}"\r\n'
                       'x,"two\r\nlines"\r\n')
    out = tmp_path / "out.csv"
    result = run("batch", source, "-o", out, "--model", tiny_model)
    assert 0 == result.exit_code, result.stderr
    import pandas as pd

    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert ["title", "description"] == frame.columns.tolist()[:2]
    assert 2 == len(frame)
    assert "two\r\nlines" == frame["description"].iat[1] or "two\nlines" == frame["description"].iat[1]


def test_batch_names_the_column_to_use(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv", "a,b\n1,2\n")
    out = tmp_path / "out.csv"
    assert_clean_error(run("batch", source, "-o", out, "--model", tiny_model),
                       "no description column", "columns: a, b", "--text-column")
    assert not out.exists()
    assert [] == [p.name for p in tmp_path.iterdir() if p.name.startswith(".jobclass-")]


def test_batch_unknown_text_column_option(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv", "description\nhello world\n")
    assert_clean_error(run("batch", source, "--text-column", "body", "--model", tiny_model),
                       "no column 'body'")


def test_batch_non_utf8_suggests_encoding_and_writes_nothing(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv", "description\n负责推荐算法与风控模型\n", encoding="gb18030")
    out = tmp_path / "out.csv"
    assert_clean_error(run("batch", source, "-o", out, "--model", tiny_model), "--encoding gb18030")
    assert not out.exists()
    ok = run("batch", source, "-o", out, "--encoding", "gb18030", "--model", tiny_model)
    assert 0 == ok.exit_code and out.exists()


def test_batch_bad_bytes_late_in_a_file_leave_no_output(run, tiny_model, tmp_path):
    good = "".join(f'"{RAG} {i}"\n' for i in range(20000))
    source = tmp_path / "in.csv"
    source.write_bytes(b"description\n" + good.encode() + b'"caf\xe9 latte"\n')
    out = tmp_path / "out.csv"
    assert_clean_error(run("batch", source, "-o", out, "--model", tiny_model, "--jobs", 1),
                       "not valid UTF-8")
    assert not out.exists()
    assert [] == [p.name for p in tmp_path.iterdir() if p.name.startswith(".jobclass-")]


def test_batch_malformed_csv(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv", 'description,x\n"unterminated quote,1\n')
    out = tmp_path / "out.csv"
    assert_clean_error(run("batch", source, "-o", out, "--model", tiny_model), "CSV")
    assert not out.exists()


def test_batch_binary_file_is_not_a_csv(run, tiny_model, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"PK\x03\x04\x00\x00binary")
    assert_clean_error(run("batch", source, "--model", tiny_model), "binary file, not a CSV")


def test_batch_empty_file(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv", "")
    assert_clean_error(run("batch", source, "--model", tiny_model), "empty file")


def test_batch_missing_input(run, tiny_model, tmp_path):
    assert_clean_error(run("batch", tmp_path / "nope.csv", "--model", tiny_model), "no such file")
    assert_clean_error(run("batch", tmp_path, "--model", tiny_model), "is a folder")


def test_a_folder_that_is_not_a_model(run, tmp_path):
    assert_clean_error(run("predict", "text", "--model", tmp_path), "not a jobclass model folder")


def test_batch_never_overwrites_its_input(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv", f'description\n"{RAG}"\n')
    before = source.read_bytes()
    assert_clean_error(run("batch", source, "-o", source, "--model", tiny_model), "overwrite the input")
    assert before == source.read_bytes()


def test_batch_with_corrupt_model_writes_nothing(run, tiny_model, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "model.npz").write_bytes(b"garbage")
    source = write_csv(tmp_path / "in.csv", f'description\n"{RAG}"\n')
    out = tmp_path / "out.csv"
    assert_clean_error(run("batch", source, "-o", out, "--model", broken), "does not match its card")
    assert not out.exists()


# ---- train and evaluate --------------------------------------------------------------------

def test_train_refuses_unknown_labels(run, tmp_path):
    from conftest import tiny_rows, write_jsonl

    rows = tiny_rows()
    rows[2]["label"] = "genai"
    write_jsonl(tmp_path / "d" / "x.jsonl", rows)
    assert_clean_error(run("train", tmp_path / "d", "--out", tmp_path / "m"), "x.jsonl line 3",
                       "unknown label 'genai'")
    assert not (tmp_path / "m").exists()


def test_train_refuses_a_single_label(run, tmp_path):
    from conftest import write_jsonl

    topics = ["sales", "finance", "payroll", "marketing", "logistics", "support", "legal", "hr",
              "audit", "procurement", "inventory", "billing", "security", "facilities", "travel",
              "training", "compliance", "treasury", "tax", "quality", "research", "pricing",
              "events", "retail", "fleet"]
    rows = [{"id": t, "description": f"Write weekly {t} dashboards in SQL for the {t} team",
             "label": "other"} for t in topics]
    write_jsonl(tmp_path / "d" / "x.jsonl", rows)
    assert_clean_error(run("train", tmp_path / "d", "--out", tmp_path / "m"), "only one label")


def test_train_refuses_too_few_rows(run, tmp_path):
    from conftest import tiny_rows, write_jsonl

    write_jsonl(tmp_path / "d" / "x.jsonl", tiny_rows()[::3])
    assert_clean_error(run("train", tmp_path / "d", "--out", tmp_path / "m"), "need at least 15")


def test_train_and_evaluate_round_trip(run, tiny_corpus, tmp_path):
    result = run("train", tiny_corpus, "--out", tmp_path / "m")
    assert 0 == result.exit_code, result.stderr
    assert "macro-F1" in result.stdout
    card = json.loads((tmp_path / "m" / "card.json").read_text(encoding="utf-8"))
    assert {"ai_engineering": 6, "ml_engineering": 6, "other": 6} == card["data"]["by_label"]
    evaluation = run("evaluate", tiny_corpus / "tiny.jsonl", "--model", tmp_path / "m", "--json")
    assert 0 == evaluation.exit_code, evaluation.stderr
    figures = json.loads(evaluation.stdout)
    assert {"macro_f1", "per_class", "confusion", "coverage", "mismatch_accuracy"} <= set(figures)


def test_evaluate_needs_a_label_column(run, tiny_model, tmp_path):
    source = write_csv(tmp_path / "in.csv", "description\nhello\n")
    assert_clean_error(run("evaluate", source, "--model", tiny_model), "no label column")


def test_readme_documents_every_command():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name in ("predict", "batch", "train", "evaluate", "retrain", "models list", "models show",
                 "models use"):
        assert f"jobclass {name}" in readme, name


def test_batch_from_stdin_longer_than_the_sniffed_head_equals_the_file(run, tiny_model, tmp_path):
    body = "description\n" + "".join(f'"{RAG} posting {i}"\n' for i in range(12000))  # about 2 MB
    source = write_csv(tmp_path / "in.csv", body)
    from_stdin = run("batch", "-", "--model", tiny_model, "--jobs", 1, input=body)
    from_file = run("batch", source, "--model", tiny_model, "--jobs", 1)
    assert 0 == from_stdin.exit_code == from_file.exit_code
    assert from_file.stdout == from_stdin.stdout
    assert 12000 == len(from_stdin.stdout.splitlines()) - 1
