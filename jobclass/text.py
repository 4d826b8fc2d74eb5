"""Text handling: normalisation, role-title masking and tokenisation (English + Chinese).

The model must decide from the work a posting describes. Role titles ("as a Machine
Learning Engineer you will", "招聘AI工程师") are the same words that lie in job titles,
so they are cut out of the description before it is tokenised.
"""

from __future__ import annotations

import re
import unicodedata

ROLE_LABELS = ("ai_engineering", "ml_engineering", "other")

# Words that qualify a role noun in English titles ("applied ML", "GenAI", "AI/ML").
_EN_QUALIFIER = (
    r"(?:a\.?i\.?|artificial[ -]intelligence|m\.?l\.?|machine[ -]learning|deep[ -]learning"
    r"|llms?|gen[ -]?ai|generative[ -]ai|nlp|natural[ -]language(?:[ -]processing)?"
    r"|computer[ -]vision|ml[ -]?ops|llm[ -]?ops|ai[ -]?ops|data[ -]science|data|analytics"
    r"|applied|research|prompt|algorithms?|agentic|conversational|decision|quantitative"
    r"|software|back[ -]?end|front[ -]?end|full[ -]?stack|platform|infrastructure|bi"
    r"|business[ -]intelligence)"
)
_EN_SEPARATOR = r"(?:\s*[/&+-]\s*|\s+and\s+|\s+)"
_EN_ROLE_NOUN = (
    r"(?:engineers?|scientists?|developers?|specialists?|researchers?|architects?"
    r"|analysts?|practitioners?|modell?ers?)"
)
_EN_ROLE = (
    rf"(?<![a-z0-9]){_EN_QUALIFIER}(?:{_EN_SEPARATOR}{_EN_QUALIFIER})*"
    rf"{_EN_SEPARATOR}{_EN_ROLE_NOUN}(?![a-z])"
)
_ZH_QUALIFIER = (
    r"(?:ai|llm|aigc|gpt|nlp|cv|人工智能|大模型|大语言模型|机器学习|深度学习|算法|自然语言处理"
    r"|计算机视觉|视觉|图像|语音|多模态|推荐|搜索|广告|风控|数据挖掘|数据|应用|软件|后端|前端)"
)
_ZH_ROLE_NOUN = (
    r"(?:算法工程师|开发工程师|研发工程师|应用工程师|工程师|科学家|研究员|专家|架构师|分析师|训练师)"
)
_ZH_ROLE = rf"(?:{_ZH_QUALIFIER}[\s/&+-]*)+{_ZH_ROLE_NOUN}"

ROLE_PHRASE = re.compile(rf"{_EN_ROLE}|{_ZH_ROLE}")

_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A zero-width match at every position yields overlapping character bigrams in C speed.
_CJK_BIGRAM = re.compile(r"(?=([\u4e00-\u9fff]{2}))")


def normalise(text: str) -> str:
    """Fold width variants (full-width Latin, ideographic spaces) and lowercase."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def mask_role_titles(text: str) -> str:
    """Remove role-title phrases from already normalised text."""
    return ROLE_PHRASE.sub(" ", text)


def analyze(text: str) -> list[str]:
    """Tokens the model sees: Latin words plus Chinese character bigrams, titles masked."""
    text = mask_role_titles(normalise(text))
    tokens = _WORD.findall(text)
    if _CJK.search(text):
        tokens += _CJK_BIGRAM.findall(text)
    return tokens


_ML_TITLE = re.compile(
    r"machine[ -]?learning|(?<![a-z])ml(?![a-z])|mlops|data scien|scientist|deep[ -]learning"
    r"|(?<![a-z])nlp(?![a-z])|computer vision|(?<![a-z])cv(?![a-z])|recommend|ranking|perception"
    r"|data mining|forecast|算法|机器学习|深度学习|数据挖掘|推荐|视觉|图像|语音|自然语言|数据科学"
)
_AI_TITLE = re.compile(
    r"(?<![a-z])a\.?i(?![a-z])|artificial intelligence|(?<![a-z])llms?(?![a-z])|gen ?ai"
    r"|generative|(?<![a-z])gpt|prompt|agent|(?<![a-z])rag(?![a-z])|copilot|chatbot"
    r"|大模型|人工智能|aigc|智能体|提示词"
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
