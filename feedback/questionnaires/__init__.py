"""Questionnaires: shipped as TOML files, validated on load into frozen dataclasses.

Importing this package needs neither Flask nor a database; the stored copies of
questionnaires (``models.py``) are a separate module.
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
