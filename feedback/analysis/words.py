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

Languages (:func:`text_languages`): each text's language is told from the text itself,
never stored with an answer (a language only one rater of a group wrote in would point
to them). A text is German, French or Spanish when at least
:data:`MIN_LANGUAGE_HITS` of its words are common words of that language, and more of
them than of any other of the four; otherwise it is read as English. Each text loses
the stop words of its own language, and words are compared within a language: "team"
in a German answer and "team" in an English one are two words, each with its own pane.
Words of any other alphabetic script (Cyrillic, Greek, Arabic, Devanagari, ...) are
found and counted the same way, under English rules. Scripts written without spaces
between words (Chinese, Japanese, Thai) come out as whole phrases between punctuation,
not as words.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
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

#: Common German words that say nothing about a person (articles, pronouns,
#: prepositions, conjunctions, auxiliaries, words of time and number), folded as the
#: tokeniser folds them ("ß" becomes "ss").
_STOP_TEXT_DE = """
der die das den dem des ein eine einer eines einem einen und oder aber doch denn sondern
ich du er sie es wir ihr mich dich sich uns euch mir dir ihm ihn ihnen mein meine dein
sein seine ihre unser unsere euer man wer was wie wo wann warum welche welcher welches
dass ob wenn weil als auch noch nur schon sehr so zu zum zur im in an am auf aus bei
mit nach von vor um durch für gegen ohne über unter zwischen bis seit ist sind war
waren bin bist sein hat haben hatte hatten wird werden wurde wurden kann können muss
müssen soll sollte will wollen würde möchte nicht kein keine keinen nichts immer oft
manchmal mal hier dort dann jetzt heute gestern morgen woche wochen monat monate jahr
jahre tag tage zeit letzte letzten nächste zwei drei vier fünf etwas viel viele mehr
alle allem allen alles jeder jede jedes diese dieser dieses diesen dem gibt geht ganz
eben also ja nein bitte behalten ändern
"""
#: Common French words that say nothing about a person, folded as the tokeniser folds
#: them (apostrophes split: "l'équipe" gives "l" and "équipe").
_STOP_TEXT_FR = """
le la les l un une des du de d et ou mais donc car ni que qu qui quoi dont où je j tu
il elle on nous vous ils elles me m te t se s lui leur leurs mon ma mes ton ta tes son
sa ses notre nos votre vos ce c cet cette ces ça cela ceci à au aux en dans par pour
sur sous avec sans chez entre vers pendant depuis avant après est sont était étaient
suis es sommes êtes être ai as a avons avez ont avait avaient été fait faire peut
peuvent doit doivent va vont ne n pas plus moins très trop aussi encore toujours
souvent parfois jamais déjà bien tout tous toute toutes si comme quand alors ici là
aujourd hui hier demain semaine semaines mois an ans année années jour jours fois
dernier dernière prochain deux trois quatre cinq quelque quelques chose y garder
changer
"""
#: Common Spanish words that say nothing about a person, folded as the tokeniser folds
#: them.
_STOP_TEXT_ES = """
el la los las lo un una unos unas de del al y e o u pero sino ni que quien quienes
cual cuales como cuando donde porque por para con sin en entre sobre hasta desde hacia
ante tras yo tú él ella nosotros nosotras vosotros ellos ellas usted ustedes me te se
nos os le les mi mis tu tus su sus nuestro nuestra nuestros nuestras este esta estos
estas ese esa esos esas eso esto aquel es son era eran fue fueron ser estar está están
estaba soy eres somos ha han he has hemos había hay tiene tienen tener hace hacer puede
pueden debe deben va van no sí muy más menos también tampoco ya siempre nunca a veces
vez veces todo todos toda todas algo mucho mucha muchos muchas poco otro otra otros
hoy ayer mañana semana semanas mes meses año años día días último última próximo dos
tres cuatro cinco bien así aquí allí entonces mantener cambiar
"""
#: Each language's stop words, by code (the service's four languages).
STOP_WORDS_BY_LANGUAGE: dict[str, frozenset[str]] = {
    "en": STOP_WORDS,
    "de": frozenset(_STOP_TEXT_DE.split()),
    "fr": frozenset(_STOP_TEXT_FR.split()),
    "es": frozenset(_STOP_TEXT_ES.split()),
}
#: The language a text is read in when nothing says otherwise.
DEFAULT_LANGUAGE = "en"
#: How many of a text's words must be common words of German, French or Spanish for
#: the text to be read in that language: one shared word ("die", "de") says little.
MIN_LANGUAGE_HITS = 2

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


def _tokens(text: pd.Series) -> pd.Series:
    """Each text's words before any is dropped (markup taken out, folded), one row per
    occurrence, indexed like ``text``."""
    folded = strip_markup(text).str.normalize("NFKC").str.casefold()
    return folded.str.translate(_FOLDING).str.split().explode().dropna()


#: The languages in a fixed order, and their stop words in the same order.
_CODES = tuple(STOP_WORDS_BY_LANGUAGE)
_STOPS = tuple(STOP_WORDS_BY_LANGUAGE[code] for code in _CODES)


def _analyse(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The words of ``text`` read by position: each occurrence's word, the position of
    its text, whether it is a stop word of each language (one column per language of
    ``_CODES``), and each text's language (an index into ``_CODES``). Each distinct
    word is looked up once."""
    tokens = _tokens(text.reset_index(drop=True))
    positions = tokens.index.to_numpy(dtype=np.int64)
    ids, unique = pd.factorize(tokens.to_numpy())
    member = np.array([[word in stop for stop in _STOPS] for word in unique], dtype=bool)
    flags = member.reshape(len(unique), len(_CODES))[ids]
    hits = np.zeros((len(text), len(_CODES)), dtype=np.int64)
    np.add.at(hits, positions, flags)
    best = hits.max(axis=1, initial=0)
    leaders = (hits == best[:, None]).sum(axis=1)
    guess = hits.argmax(axis=1) if len(text) else np.zeros(0, dtype=np.int64)
    english = _CODES.index(DEFAULT_LANGUAGE)
    clear = (guess != english) & (best >= MIN_LANGUAGE_HITS) & (leaders == 1)
    return tokens.to_numpy(), positions, flags, np.where(clear, guess, english)


def text_languages(text: pd.Series) -> pd.Series:
    """Each text's language, told from the text (see the module's docstring): "de",
    "fr" or "es" when it clearly uses that language's common words, else "en"; indexed
    like ``text``."""
    language = _analyse(text)[3]
    return pd.Series(np.array(_CODES, dtype=object)[language], index=text.index)


def words_of(text: pd.Series) -> pd.Series:
    """Each text's words (markup taken out, folded, the stop words of the text's own
    language removed), one row per word occurrence, indexed like ``text``."""
    words, positions, _languages = _kept(text)
    return pd.Series(words, index=text.index[positions], dtype=object)


def _kept(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The words that are not stop words of their text's language: each occurrence's
    word, its text's position and its language's code."""
    words, positions, flags, language = _analyse(text)
    of_word = language[positions]
    keep = ~flags[np.arange(len(words)), of_word] if len(words) else np.zeros(0, dtype=bool)
    return words[keep], positions[keep], np.array(_CODES, dtype=object)[of_word[keep]]


def word_panes(texts: pd.DataFrame) -> pd.DataFrame:
    """Compare the coachee's words with others' words.

    Args:
        texts: one row per text (a 140-character description or an open answer):
            ``source`` ("self" for the coachee, "others" for any rater) and ``text``.

    Returns:
        One row per word and language: ``word`` (folded), ``self_count`` and
        ``others_count`` (how often it occurs in the coachee's and in others' texts of
        that language), ``pane``: "open" (both use it), "blind" (only others: what the
        coachee does not see or say), "hidden" (only the coachee), and ``language``
        (told from each text: :func:`text_languages`). Ordered by pane (open, blind,
        hidden), then by total count (most first), then alphabetically, then by
        language.
    """
    source = texts["source"].astype(str)
    unknown = sorted(set(source) - {"self", "others"})
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}: expected 'self' or 'others'")
    words, positions, languages = _kept(texts["text"])
    occurrences = pd.DataFrame(
        {
            "language": languages,
            "word": words,
            "self": source.to_numpy()[positions] == "self",
        }
    )
    counts = occurrences.groupby(["language", "word"])["self"].agg(["sum", "size"])
    table = pd.DataFrame(
        {
            "word": counts.index.get_level_values(1).astype(str),
            "self_count": counts["sum"].to_numpy(dtype="int64"),
            "others_count": (counts["size"] - counts["sum"]).to_numpy(dtype="int64"),
            "language": counts.index.get_level_values(0).astype(str),
        }
    )
    both = (table["self_count"] > 0) & (table["others_count"] > 0)
    pane = pd.Series("hidden", index=table.index).mask(table["self_count"] == 0, "blind")
    table["pane"] = pane.mask(both, "open")
    table["total"] = table["self_count"] + table["others_count"]
    table["order"] = table["pane"].map({p: i for i, p in enumerate(PANES)})
    table = table.sort_values(
        ["order", "total", "word", "language"], ascending=[True, False, True, True]
    )
    return table[["word", "self_count", "others_count", "pane", "language"]].reset_index(drop=True)
