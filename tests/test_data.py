import pytest
from conftest import tiny_rows, write_jsonl

from jobclass.data import near_duplicate_pairs, read_labeled, validate_corpus
from jobclass.errors import DataError, InputError


def test_valid_corpus_reads_every_row(tiny_corpus):
    data = validate_corpus([tiny_corpus])
    assert 18 == len(data.frame)
    assert {"ai_engineering", "ml_engineering", "other"} == set(data.frame["label"])


def test_unknown_label_is_named_with_file_and_line(tmp_path):
    rows = tiny_rows()
    rows[3]["label"] = "data_science"
    write_jsonl(tmp_path / "c.jsonl", rows)
    with pytest.raises(DataError, match=r"c.jsonl line 4: unknown label 'data_science'; allowed"):
        validate_corpus([tmp_path])


def test_whitespace_only_description_is_rejected(tmp_path):
    rows = tiny_rows()
    rows[0]["description"] = "  \n\t "
    write_jsonl(tmp_path / "c.jsonl", rows)
    with pytest.raises(DataError, match="c.jsonl line 1: empty description"):
        validate_corpus([tmp_path])


def test_broken_json_line_is_named(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", tiny_rows())
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    with pytest.raises(DataError, match="c.jsonl line 19: not valid JSON"):
        validate_corpus([tmp_path])


def test_exact_duplicate_names_both_places(tmp_path):
    rows = tiny_rows()
    rows.append({**rows[0], "id": "copy", "description": rows[0]["description"].upper() + "  "})
    write_jsonl(tmp_path / "c.jsonl", rows)
    with pytest.raises(DataError, match="c.jsonl line 19: duplicate of c.jsonl line 1"):
        validate_corpus([tmp_path])


def test_near_duplicate_is_caught():
    base = " ".join(f"word{i}" for i in range(200))
    edited = base.replace("word50", "changed") + " plus a new closing sentence"
    other = " ".join(f"term{i}" for i in range(200))
    assert [(0, 1)] == [(a, b) for a, b, _ in near_duplicate_pairs([base, edited, other])]


def test_texts_sharing_a_paragraph_are_not_near_duplicates():
    shared = " ".join(f"benefit{i}" for i in range(30))
    a = " ".join(f"alpha{i}" for i in range(200)) + " " + shared
    b = " ".join(f"beta{i}" for i in range(200)) + " " + shared
    assert [] == near_duplicate_pairs([a, b])


def test_single_label_and_too_few_rows_are_refused(tmp_path):
    rows = [r for r in tiny_rows() if r["label"] == "other"]
    write_jsonl(tmp_path / "one" / "c.jsonl", rows * 1)
    with pytest.raises(DataError, match="need at least"):
        validate_corpus([tmp_path / "one"])


def test_csv_with_quoted_newlines_crlf_and_bom(tmp_path):
    path = tmp_path / "c.csv"
    body = '"Line one\r\nline two, with a comma"'
    path.write_bytes(("\ufeffid,description,label\r\n1," + body + ",other\r\n").encode("utf-8"))
    frame = read_labeled([path]).frame
    assert "Line one\r\nline two, with a comma" == frame["description"].iat[0]


def test_non_utf8_labeled_file_says_which_encoding(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("id,description,label\n1,负责推荐算法,ml_engineering\n".encode("gb18030"))
    with pytest.raises(InputError, match="not valid UTF-8.*--encoding gb18030"):
        read_labeled([path])


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        read_labeled([tmp_path / "nope.jsonl"])
