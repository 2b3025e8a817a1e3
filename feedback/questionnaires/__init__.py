"""Questionnaires: TOML files (the shipped default, or a coach's own, imported or
written in the browser editor), validated into frozen dataclasses.

Importing this package needs neither Flask nor a database; the stored copies of
questionnaires (``models.py``, ``store.py``), the TOML writer (``writer.py``) and the
editor's form (``editing.py``) are separate modules. Which questionnaires a coach may
use, and the rule of versions, are in ``feedback.coaching.questionnaires``.
"""

from .loader import (
    DEFAULT_KEY,
    Competency,
    Item,
    OpenQuestion,
    QuestionnaireError,
    QuestionnaireSpec,
    Scale,
    default_questionnaire,
    load_questionnaire,
    parse_questionnaire,
    render,
    shipped_questionnaires,
)

__all__ = [
    "DEFAULT_KEY",
    "Competency",
    "Item",
    "OpenQuestion",
    "QuestionnaireError",
    "QuestionnaireSpec",
    "Scale",
    "default_questionnaire",
    "load_questionnaire",
    "parse_questionnaire",
    "render",
    "shipped_questionnaires",
]
