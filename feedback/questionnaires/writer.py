"""A questionnaire spec written as TOML, in the layout of the shipped files, so that
``feedback questionnaire export`` gives a file ``feedback questionnaire import`` takes
back unchanged."""

from __future__ import annotations

import json

from .loader import QuestionnaireSpec, Translation


def _string(text: str) -> str:
    """A TOML basic string. JSON's escapes (``\\"``, ``\\\\``, ``\\n``, ``\\uXXXX``) are
    all TOML escapes too, so a JSON string is a valid TOML one once DEL, which TOML
    wants escaped and JSON leaves as it is, is escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def to_toml(spec: QuestionnaireSpec) -> str:
    """The TOML text of ``spec``; :func:`~.loader.parse_questionnaire` reads it back
    as an equal spec."""
    lines = [
        f"key = {_string(spec.key)}",
        f"version = {spec.version}",
        f"title = {_string(spec.title)}",
        f"description = {_string(spec.description)}",
        "",
        "[scale]",
        "labels = { "
        + ", ".join(f'"{point}" = {_string(label)}' for point, label in spec.scale.labels.items())
        + " }",
    ]
    if spec.scale.dont_know is not None:
        lines.append(f"dont_know = {_string(spec.scale.dont_know)}")
    for competency in spec.competencies:
        lines += [
            "",
            "[[competencies]]",
            f"key = {_string(competency.key)}",
            f"title = {_string(competency.title)}",
            f"description = {_string(competency.description)}",
        ]
        for item in competency.items:
            lines += [
                "",
                "[[competencies.items]]",
                f"key = {_string(item.key)}",
                f"self = {_string(item.self_text)}",
                f"rater = {_string(item.rater_text)}",
            ]
    for question in spec.open_questions:
        lines += [
            "",
            "[[open_questions]]",
            f"key = {_string(question.key)}",
            f"audience = {_string(question.audience)}",
        ]
        if question.self_text is not None:
            lines.append(f"self = {_string(question.self_text)}")
        if question.rater_text is not None:
            lines.append(f"rater = {_string(question.rater_text)}")
        lines.append(f"max_length = {question.max_length}")
    for code, translation in sorted(spec.translations.items()):
        lines += _translation_lines(code, translation)
    return "\n".join(lines) + "\n"


def _pairs(texts: tuple[str | None, str | None]) -> str:
    """An inline table of the wordings given: ``{ self = "…", rater = "…" }``."""
    given = [(side, text) for side, text in zip(("self", "rater"), texts, strict=True) if text]
    return "{ " + ", ".join(f"{side} = {_string(text)}" for side, text in given) + " }"


def _translation_lines(code: str, translation: Translation) -> list[str]:
    """``[translations.<code>]`` and its tables, in the layout of the shipped files."""
    lines = [
        "",
        f"[translations.{code}]",
        f"title = {_string(translation.title)}",
        f"description = {_string(translation.description)}",
        "scale = { "
        + ", ".join(f'"{point}" = {_string(label)}' for point, label in translation.scale.items())
        + " }",
    ]
    if translation.dont_know is not None:
        lines.append(f"dont_know = {_string(translation.dont_know)}")
    lines += ["", f"[translations.{code}.competencies]"]
    lines += [f"{key} = {_string(title)}" for key, title in translation.competencies.items()]
    lines += ["", f"[translations.{code}.items]"]
    lines += [f"{key} = {_pairs(texts)}" for key, texts in translation.items.items()]
    lines += ["", f"[translations.{code}.open_questions]"]
    lines += [f"{key} = {_pairs(texts)}" for key, texts in translation.open_questions.items()]
    return lines
