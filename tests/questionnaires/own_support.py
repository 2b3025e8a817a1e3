"""A short questionnaire of a coach's own, as TOML, on a scale of any size."""

LABELS = ["Never", "Rarely", "Sometimes", "Often", "Usually", "Almost always", "Always"]


def short_questionnaire(
    key: str = "team-lead", *, points: int = 4, dont_know: bool = True, extra: str = ""
) -> str:
    """Two competencies, five statements, ``points`` scale points, one open question
    besides the headline; ``extra`` is added to the first statement's rater wording."""
    labels = [*LABELS[: points - 1], "Always"]  # "Never" … "Always"
    label_table = ", ".join(f'"{i}" = "{label}"' for i, label in enumerate(labels, start=1))
    dont_know_line = 'dont_know = "Cannot say"\n' if dont_know else ""
    return f"""\
key = "{key}"
version = 1
title = "Team lead"
description = "How you lead your team."

[scale]
labels = {{ {label_table} }}
{dont_know_line}
[[competencies]]
key = "listening"
title = "Listening"
description = "Hearing people out."

[[competencies.items]]
key = "lets_finish"
self = "I let people finish."
rater = "{{name}} lets people finish.{extra}"

[[competencies.items]]
key = "asks_questions"
self = "I ask questions."
rater = "{{name}} asks questions."

[[competencies]]
key = "deciding"
title = "Deciding"
description = "Making the call."

[[competencies.items]]
key = "decides_in_time"
self = "I decide in time."
rater = "{{name}} decides in time."

[[competencies.items]]
key = "explains_decisions"
self = "I explain my decisions."
rater = "{{name}} explains their decisions."

[[competencies.items]]
key = "revisits"
self = "I revisit a decision when facts change."
rater = "{{name}} revisits a decision when facts change."

[[open_questions]]
key = "headline"
audience = "both"
self = "Describe yourself in 140 characters."
rater = "Describe {{name}} in 140 characters."
max_length = 140

[[open_questions]]
key = "advice"
audience = "rater"
rater = "One piece of advice for {{name}}?"
max_length = 1000
"""
