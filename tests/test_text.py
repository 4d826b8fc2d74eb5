from jobclass.text import analyze, mask_role_titles, normalise, title_role


def test_role_titles_are_masked_in_english_and_chinese():
    text = normalise("As a Senior Machine Learning Engineer or AI/ML Engineer you will; "
                     "招聘大模型算法工程师和AI工程师")
    masked = mask_role_titles(text)
    for phrase in ("machine learning engineer", "ai/ml engineer", "算法工程师", "ai工程师"):
        assert phrase not in masked


def test_work_words_survive_masking():
    tokens = analyze("Train machine learning models for fraud; build RAG with LLM APIs")
    for word in ("machine", "learning", "models", "fraud", "rag", "llm"):
        assert word in tokens


def test_latin_words_keep_programming_names_and_split_on_punctuation():
    assert ["c++", "and", "c#", "don", "t", "node", "js", "2024"] == analyze("C++ and C#, don’t node.js 2024")


def test_chinese_is_split_into_character_bigrams():
    tokens = analyze("负责推荐算法")
    assert ["负责", "责推", "推荐", "荐算", "算法"] == tokens


def test_mixed_language_keeps_latin_words_and_bigrams():
    tokens = analyze("熟悉LangChain与RAG")
    assert "langchain" in tokens and "rag" in tokens and "熟悉" in tokens


def test_full_width_latin_is_folded():
    assert ["rag"] == analyze("ＲＡＧ")


def test_only_chinese_and_full_width_characters_count_as_chinese():
    from jobclass.text import _fold

    for text in ("“curly” – bullets • and é", "emoji \U0001F680", "\ufeffBOM", "\u2fff", "\ud800 lone"):
        assert not _fold(text)[1], text
    for text in ("\u3000", "中", "\u9fff", "ＲＡＧ", "\uffef", "résumé 中文"):
        assert _fold(text)[1], text


def test_title_role_reads_titles_like_a_keyword_skimmer():
    assert "ai_engineering" == title_role("Senior AI Engineer")
    assert "ml_engineering" == title_role("AI/ML Engineer (LLMs)")
    assert "ml_engineering" == title_role("大模型算法工程师")
    assert "ai_engineering" == title_role("大模型应用开发")
    assert "other" == title_role("Backend Developer")
    assert "other" == title_role("HTML Developer")
    assert "unknown" == title_role("   ")
    assert "unknown" == title_role(None)
