"""The analysis' words on a page, in the page's language.

The analysis names categories, agreement types and prediction insights in English, in
its frames (pure pandas, no Flask), and the machine-facing exports keep those names. A
page translates them as it shows them, through the template filters :func:`term` and
:func:`explain_agreement`.
"""

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..analysis.rules import NOT_ENOUGH_DATA
from . import format_number

#: Each word of the analysis a coach reads, by its English name in the frames.
TERMS = {
    "blind spot": _l("blind spot"),
    "hidden strength": _l("hidden strength"),
    "others disagree": _l("others disagree"),
    "agreed strength": _l("agreed strength"),
    "agreed development area": _l("agreed development area"),
    "aligned": _l("aligned"),
    NOT_ENOUGH_DATA: _l("not enough data"),
    "over-estimator, good": _l("over-estimator, good"),
    "over-estimator, poor": _l("over-estimator, poor"),
    "under-estimator, good": _l("under-estimator, good"),
    "under-estimator, poor": _l("under-estimator, poor"),
    "in agreement, good": _l("in agreement, good"),
    "in agreement, poor": _l("in agreement, poor"),
    "knows others see it differently": _l("knows others see it differently"),
    "does not know others see it differently": _l("does not know others see it differently"),
    "sees it as this group does": _l("sees it as this group does"),
    "no prediction": _l("no prediction"),
}

#: What the coach should take from each agreement category (the analysis' EXPLANATIONS).
EXPLANATIONS_SHOWN = {
    "over-estimator, good": _l(
        "They rate themself clearly higher than others do, although others rate them "
        "well. A strong profile with blind spots: look at where others see less than "
        "they do before building on their strengths."
    ),
    "over-estimator, poor": _l(
        "They rate themself clearly higher than others do, and others' ratings are low. "
        "The group most at risk: they may not see the difficulties others see. Start "
        "with the blind spots, gently, and with examples."
    ),
    "under-estimator, good": _l(
        "They rate themself clearly lower than others do, and others rate them well. "
        "They underrate strengths that others clearly see: help them recognise and "
        "use those strengths."
    ),
    "under-estimator, poor": _l(
        "They rate themself lower than others do, and others' ratings are low too. They "
        "know things are hard and may be overly self-critical: build confidence while "
        "working on the development areas."
    ),
    "in agreement, good": _l(
        "Their view of themself matches how others see them, and others rate them well: "
        "an accurate and positive self-picture to build on."
    ),
    "in agreement, poor": _l(
        "Their view of themself matches how others see them, and both are low: they "
        "know where they stand, a sound starting point for a development plan."
    ),
    NOT_ENOUGH_DATA: _l(
        "Not enough data: a self-assessment, or enough other raters on the same items, "
        "is missing, so self and others cannot be compared."
    ),
}


#: What each agreement category means, said to the coachee (the analysis'
#: EXPLANATIONS_TO_COACHEE, for pages in other languages).
EXPLANATIONS_TO_COACHEE_SHOWN = {
    "over-estimator, good": _l(
        "You rate yourself clearly higher than others do, although others rate you "
        "well. A strong profile with blind spots: look at where others see less than "
        "you do before building on your strengths."
    ),
    "over-estimator, poor": _l(
        "You rate yourself clearly higher than others do, and others' ratings are low. "
        "Others may see difficulties that you do not see yet: the blind spots are the "
        "place to start, with your coach and with examples."
    ),
    "under-estimator, good": _l(
        "You rate yourself clearly lower than others do, and others rate you well. "
        "Others see strengths that you underrate: recognise them, and use them."
    ),
    "under-estimator, poor": _l(
        "You rate yourself lower than others do, and others' ratings are low too. You "
        "know things are hard and may be too hard on yourself: build on what works "
        "while you work on the development areas."
    ),
    "in agreement, good": _l(
        "Your view of yourself matches how others see you, and others rate you well: "
        "an accurate and positive picture to build on."
    ),
    "in agreement, poor": _l(
        "Your view of yourself matches how others see you, and both are low: you know "
        "where you stand, a sound starting point for a development plan."
    ),
    NOT_ENOUGH_DATA: _l(
        "Not enough answers to compare your view with others': a self-assessment, or "
        "enough other raters on the same statements, is missing."
    ),
}


def explain_to_coachee(agreement) -> str:
    """The agreement's explanation said to the coachee (a row of the analysis'
    agreement frame), in the page's language; English pages show the analysis' own
    text (:func:`feedback.analysis.explanation_to_coachee`)."""
    from ..analysis.agreement import explanation_to_coachee

    if _english():
        return explanation_to_coachee(agreement)
    category = agreement["category"]
    shown = EXPLANATIONS_TO_COACHEE_SHOWN
    meaning = str(shown.get(category, shown[NOT_ENOUGH_DATA]))
    if category == NOT_ENOUGH_DATA or agreement["difference"] != agreement["difference"]:
        return meaning
    figures = _(
        "You %(self_overall)s, others %(others)s (difference %(difference)s).",
        self_overall=format_number(agreement["self_overall"]),
        others=format_number(agreement["others_overall"]),
        difference=format_number(agreement["difference"], signed=True),
    )
    return f"{figures} {meaning}"


def _english() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "en"


def term(word) -> str:
    """An analysis word (a category, an agreement type, an insight) in the page's
    language; anything else as it is."""
    return str(TERMS.get(word, word)) if isinstance(word, str) else word


def explain_agreement(agreement) -> str:
    """The agreement's explanation (a row of the analysis' agreement frame): its figures
    and what its category means, in the page's language. English pages show the
    analysis' own text."""
    if _english():
        return agreement["explanation"]
    category = agreement["category"]
    meaning = str(EXPLANATIONS_SHOWN.get(category, EXPLANATIONS_SHOWN[NOT_ENOUGH_DATA]))
    if category == NOT_ENOUGH_DATA:
        return meaning
    figures = _(
        "Self %(self_overall)s, others %(others)s (difference %(difference)s).",
        self_overall=format_number(agreement["self_overall"]),
        others=format_number(agreement["others_overall"]),
        difference=format_number(agreement["difference"], signed=True),
    )
    return f"{figures} {meaning}"
