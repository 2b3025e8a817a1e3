"""Words: what the coachee says about themself against what others say (Johari panes).

Markup typed into an answer is taken out first (:func:`strip_markup`): HTML and XML
tags with their attributes, the content of ``<script>`` and ``<style>``, character
references (``&amp;``), web addresses, email addresses and the targets of Markdown
links; the words a tag encloses stay ("<b>calm</b>" gives "calm"). Tokenising then
folds case (``str.casefold``) and Unicode compatibility forms (NFKC), keeps runs of
letters and combining marks of any script, and splits at everything else: spaces,
punctuation, symbols, digits, apostrophes ("team's" gives "team" and "s"). Then
English stop words are dropped, and so are words of time and number that say nothing
about a person ("afternoon", "week", "last", "two"), and the words of the open
questions that answers echo ("keep", "change").

Other languages: words of any alphabetic script (Cyrillic, Greek, Arabic, Devanagari,
accented Latin, ...) are found and counted the same way, but only English stop words
are removed, so common words of another language ("und", "le") stay in the panes.
Scripts written without spaces between words (Chinese, Japanese, Thai) come out as
whole phrases between punctuation, not as words.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

#: Common English words that say nothing about a person, plus the fragments that
#: splitting at apostrophes leaves ("don't" gives "don" and "t").
_STOP_TEXT = """
a about above after again against all also always am an and any are as at be because
been before being below between both but by can could did do does doing done down
during each even ever every few for from further get gets getting got had has have
having he her here hers herself him himself his how i if in into is it its itself
just like lot lots make makes many may me more most much must my myself never no nor
not now of off often on once one only or other others our ours ourselves out over own
quite rather really same she should so some something sometimes still such than that
the their theirs them themselves then there these they thing things this those
through to too under until up upon us very was way we well were what when where
which while who whom whose why will with within without would yet you your yours
yourself yourselves
b c d e f g h j k l m n o p q r s t u v w x y z
don doesn didn isn aren wasn weren haven hasn hadn won wouldn couldn shouldn
cannot ll re ve im ive id youre theyre
morning afternoon evening night tonight day days week weeks weekend month months year
years today yesterday tomorrow ago hour hours minute minutes time times moment last
next first second third long recently lately once twice
two three four five six seven eight nine ten twenty hundred
keep keeping change please let
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())

#: Panes of the Johari window, in output order.
PANES: tuple[str, ...] = ("open", "blind", "hidden")


class _Folding(dict[int, int | None]):
    """A str.translate table: letters and marks stay, everything else becomes a space.
    Filled lazily, one entry per distinct character met."""

    def __missing__(self, code: int) -> int | None:
        kind = unicodedata.category(chr(code))
        value = code if kind[0] in "LM" else ord(" ")
        self[code] = value
        return value


_FOLDING = _Folding()


#: What :func:`strip_markup` takes out, each replaced by a space: script and style
#: elements whole, comments, tags (a name after "<" or "</", then anything up to ">"),
#: character references, Markdown link targets, web and email addresses.
_MARKUP = re.compile(
    r"<(script|style)\b[^>]*>.*?</\1\s*>"
    r"|<!--.*?-->"
    r"|</?[a-zA-Z][a-zA-Z0-9:-]*(?:\s[^<>]*)?/?>"
    r"|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);"
    r"|\]\([^)\s]*\)"
    r"|\b(?:https?://|www\.)\S+"
    r"|\S+@\S+\.\S+",
    re.IGNORECASE | re.DOTALL,
)


def strip_markup(text: pd.Series) -> pd.Series:
    """``text`` without typed markup (see the module's docstring), indexed the same:
    "<b>Calm</b> &amp; <a href='x.org'>kind</a>" gives " Calm   kind " (spaces where
    markup was, so no two words run together)."""
    return text.fillna("").astype(str).str.replace(_MARKUP, " ", regex=True)


def words_of(text: pd.Series) -> pd.Series:
    """Each text's words (markup taken out, folded, stop words removed), one row per
    word occurrence, indexed like ``text``."""
    folded = strip_markup(text).str.normalize("NFKC").str.casefold()
    words = folded.str.translate(_FOLDING).str.split().explode().dropna()
    return words[~words.isin(STOP_WORDS)]


def word_panes(texts: pd.DataFrame) -> pd.DataFrame:
    """Compare the coachee's words with others' words.

    Args:
        texts: one row per text (a 140-character description or an open answer):
            ``source`` ("self" for the coachee, "others" for any rater) and ``text``.

    Returns:
        One row per word: ``word`` (folded), ``self_count`` and ``others_count`` (how
        often it occurs in the coachee's and in others' texts), and ``pane``: "open"
        (both use it), "blind" (only others: what the coachee does not see or say),
        "hidden" (only the coachee). Ordered by pane (open, blind, hidden), then by
        total count (most first), then alphabetically.
    """
    source = texts["source"].astype(str)
    unknown = sorted(set(source) - {"self", "others"})
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}: expected 'self' or 'others'")
    words = words_of(texts["text"].reset_index(drop=True))
    by_source = source.reset_index(drop=True)[words.index]
    counts = pd.crosstab(words.to_numpy(), by_source.to_numpy())
    table = pd.DataFrame(
        {
            "word": counts.index.astype(str),
            "self_count": counts.get("self", pd.Series(0, index=counts.index)).to_numpy(),
            "others_count": counts.get("others", pd.Series(0, index=counts.index)).to_numpy(),
        }
    )
    both = (table["self_count"] > 0) & (table["others_count"] > 0)
    pane = pd.Series("hidden", index=table.index).mask(table["self_count"] == 0, "blind")
    table["pane"] = pane.mask(both, "open")
    table["total"] = table["self_count"] + table["others_count"]
    table["order"] = table["pane"].map({p: i for i, p in enumerate(PANES)})
    table = table.sort_values(["order", "total", "word"], ascending=[True, False, True])
    return table[["word", "self_count", "others_count", "pane"]].reset_index(drop=True)
