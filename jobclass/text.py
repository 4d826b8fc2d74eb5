"""Text handling: normalisation, role-title masking and tokenisation (English + Chinese).

The model must decide from the work a posting describes. Role titles ("as a Machine
Learning Engineer you will", "招聘AI工程师") are the same words that lie in job titles,
so they are cut out of the description before it is tokenised.
"""

from __future__ import annotations

import re
import unicodedata

ROLE_LABELS = ("ai_engineering", "ml_engineering", "other")
# Bump when `analyze` changes what tokens it emits: saved vocabularies depend on it.
ANALYZER_VERSION = 2

# Words that qualify a role noun in titles ("applied ML", "GenAI", "AI/ML"); a space in an
# entry stands for a space or hyphen.
_EN_QUALIFIERS = (
    "ai", "a.i.", "artificial intelligence", "ml", "m.l.", "machine learning", "deep learning",
    "llm", "llms", "genai", "gen ai", "generative ai", "nlp", "natural language",
    "natural language processing", "computer vision", "mlops", "ml ops", "llmops", "aiops",
    "data science", "data", "analytics", "applied", "research", "prompt", "algorithm",
    "algorithms", "agentic", "conversational", "decision", "quantitative", "software", "backend",
    "back end", "frontend", "front end", "fullstack", "full stack", "platform", "infrastructure",
    "bi", "business intelligence",
)
_ZH_QUALIFIERS = (
    "ai", "llm", "aigc", "gpt", "nlp", "cv", "人工智能", "大模型", "大语言模型", "机器学习", "深度学习",
    "算法", "自然语言处理", "计算机视觉", "视觉", "图像", "语音", "多模态", "推荐", "搜索", "广告", "风控",
    "数据挖掘", "数据", "应用", "软件", "后端", "前端", "开发", "研发",
)


def _reversed_alternation(words: tuple[str, ...]) -> str:
    reversed_words = sorted((w[::-1] for w in words), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", "[ -]") for w in reversed_words) + ")"


# Masking finds the role nouns first, then reads the text just before each one backwards:
# one anchored match per noun instead of trying a long alternation at every position.
_EN_ROLE_NOUN_STEMS = (
    "engineer", "scientist", "developer", "specialist", "researcher", "architect", "analyst",
)
_ALL_ROLE_NOUN_STEMS = (
    *_EN_ROLE_NOUN_STEMS, "工程师", "科学家", "研究员", "专家", "架构师", "分析师", "训练师",
)
_EN_SEPARATOR = r"(?:\s*[/&+-]\s*|\s+dna\s+|\s+)"  # "and" reversed
_EN_QUALIFIERS_BACKWARDS = re.compile(
    rf"{_EN_SEPARATOR}{_reversed_alternation(_EN_QUALIFIERS)}"
    rf"(?:{_EN_SEPARATOR}{_reversed_alternation(_EN_QUALIFIERS)})*(?![a-z0-9])"
)
_ZH_QUALIFIERS_BACKWARDS = re.compile(
    rf"(?:[\s/&+-]*{_reversed_alternation(_ZH_QUALIFIERS)})+(?![a-z0-9])"
)
_LOOKBACK = 80
# Latin tokens are runs of [a-z0-9+#]. Splitting after a byte-level translate is three times
# faster than a regex findall; non-ASCII characters become "?" and then separators.
_WORD_BYTES = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789+#" else 32 for c in range(256))
_CJK_OR_WIDE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# In UTF-8 those characters start with bytes e3-e9 or ef. Deleting all other bytes takes a
# quarter of the regex's time, and most English postings (with their curly quotes and
# bullets) then need no regex at all.
_NOT_CJK_LEAD_BYTES = bytes(b for b in range(256) if not (0xE3 <= b <= 0xE9 or b == 0xEF))
_FULL_WIDTH_LATIN = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
# A zero-width match at every position yields overlapping character bigrams in C speed.
_CJK_BIGRAM = re.compile(r"(?=([\u4e00-\u9fff]{2}))")


def _fold(text: str) -> tuple[str, bool]:
    """Lowercased text (full-width Latin folded, as in ＲＡＧ) and whether it holds Chinese."""
    chinese = (not text.isascii()
               and len(text.encode("utf-8", "surrogatepass").translate(None, _NOT_CJK_LEAD_BYTES)) > 0
               and _CJK_OR_WIDE.search(text) is not None)
    if chinese and _FULL_WIDTH_LATIN.search(text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower(), chinese


def normalise(text: str) -> str:
    """Lowercase, folding full-width Latin in Chinese text."""
    return _fold(text)[0]


def mask_role_titles(text: str, *, chinese: bool = True) -> str:
    """Remove role-title phrases (qualifiers + role noun) from already normalised text.

    `chinese=False` promises the text has no Chinese, which skips looking for Chinese nouns.
    """
    pieces, kept_until = [], 0
    for start, end in _role_nouns(text, _ALL_ROLE_NOUN_STEMS if chinese else _EN_ROLE_NOUN_STEMS):
        latin = text[start] < "\u0080"
        if start < kept_until or (latin and _inside_latin_word(text, start, end)):
            continue
        backwards = text[max(kept_until, start - _LOOKBACK):start][::-1]
        qualifiers = (_EN_QUALIFIERS_BACKWARDS if latin else _ZH_QUALIFIERS_BACKWARDS).match(backwards)
        if qualifiers is None:
            continue
        pieces += [text[kept_until:start - qualifiers.end()], " "]
        kept_until = end
    if not pieces:
        return text
    pieces.append(text[kept_until:])
    return "".join(pieces)


def _role_nouns(text: str, stems: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans of role nouns (English plurals included), found with str.find: far faster than a regex."""
    spans = []
    for stem in stems:
        start = text.find(stem)
        while start != -1:
            end = start + len(stem)
            if text.startswith("s", end) and stem[0] < "\u0080":
                end += 1
            spans.append((start, end))
            start = text.find(stem, end)
    return sorted(spans)


def _inside_latin_word(text: str, start: int, end: int) -> bool:
    return (start > 0 and "a" <= text[start - 1] <= "z") or (end < len(text) and "a" <= text[end] <= "z")


def latin_words(text: str) -> list[str]:
    """Lowercase Latin words and numbers (`c++`, `c#` kept) of already lowercased text."""
    return text.encode("ascii", "replace").translate(_WORD_BYTES).decode("ascii").split()


def tokenize(text: str, *, mask_titles: bool = True) -> list[str]:
    """Latin words plus Chinese character bigrams, role titles masked unless told otherwise."""
    folded, chinese = _fold(text)
    if mask_titles:
        folded = mask_role_titles(folded, chinese=chinese)
    tokens = latin_words(folded)
    if chinese:
        tokens += _CJK_BIGRAM.findall(folded)
    return tokens


_HAN = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]")


def detect_lang(text: str) -> str:
    """`zh` when a sizeable share of letters are Chinese characters, else `en`."""
    sample = text[:2000]
    if sample.isascii() or _HAN.search(sample) is None:
        return "en"
    letters = len(_LETTER.findall(sample)) or 1
    return "zh" if len(_HAN.findall(sample)) / letters > 0.2 else "en"


def analyze(text: str) -> list[str]:
    """Tokens the model sees: `tokenize` with role titles masked."""
    return tokenize(text)


_ML_TITLE = re.compile(
    r"machine[ -]?learning|(?<![a-z])ml(?![a-z])|mlops|data scien|scientist|deep[ -]learning"
    r"|(?<![a-z])nlp(?![a-z])|computer vision|(?<![a-z])cv(?![a-z])|recommend|ranking|perception"
    r"|data mining|forecast|算法|机器学习|深度学习|数据挖掘|推荐|视觉|图像|语音|自然语言|数据科学"
)
_AI_TITLE = re.compile(
    r"(?<![a-z])a\.?i(?![a-z])|artificial intelligence|(?<![a-z])llms?(?![a-z])|gen ?ai"
    r"|generative|(?<![a-z])gpt|prompt|agent|(?<![a-z])rag(?![a-z])|copilot|chatbot"
    r"|大模型|语言模型|人工智能|aigc|智能体|提示词"
)


def title_role(title: str | None) -> str:
    """What a title alone suggests, by keywords; `unknown` when there is no title.

    ML words win over AI words ("AI/ML Engineer", "大模型算法工程师" read as ML), the way a
    recruiter skimming titles would sort them.
    """
    if title is None or not str(title).strip():
        return "unknown"
    folded = normalise(str(title))
    if _ML_TITLE.search(folded):
        return "ml_engineering"
    if _AI_TITLE.search(folded):
        return "ai_engineering"
    return "other"
