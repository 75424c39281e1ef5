"""One folding of typed German text, for every search and lookup that compares words.

Staff type "Strassenbauer", "Regale auffuellen", "BÄCKER" or paste decomposed umlauts (NFD) from a
PDF; the reference data spells "Straßenbauer", "Regale auffüllen", "Bäcker". :func:`fold` maps all
of these to one key: Unicode NFC, case folding (which also makes "ß" "ss"), "ä/ö/ü" as "ae/oe/ue",
other accents dropped, and runs of white space as one space. Use it on both sides of a comparison.
"""

from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[\w]+", re.UNICODE)


def fold(text: str) -> str:
    """The comparison key of ``text``: ``fold("Straßenbauer") == fold("STRASSENBAUER")``."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACE.sub(" ", text).strip()


def folded_words(text: str) -> list[str]:
    """The words of ``text``, folded (punctuation dropped): for word-by-word searches."""
    return _WORD.findall(fold(text))


def matches_all_words(query: str, *fields: str) -> bool:
    """True when every word of ``query`` occurs (folded, as a substring) in one of ``fields``."""
    words = folded_words(query)
    haystack = " ".join(fold(f) for f in fields)
    return bool(words) and all(w in haystack for w in words)
