"""What several benchmarks share. Import after putting the repository root on sys.path."""

import dataclasses

#: The default questionnaire has 31 statements; the issues measure with 35.
EXTRA_ITEMS = 4


def questionnaire_35():
    """The default questionnaire with four extra statements spread over its
    competencies, stored under its own key ("bench-35") so it never mixes with the
    shipped one."""
    from feedback.questionnaires.loader import Item, default_questionnaire

    spec = default_questionnaire()
    competencies = list(spec.competencies)
    for n in range(EXTRA_ITEMS):
        c = competencies[n % len(competencies)]
        extra = Item(f"bench_extra_{n}", c.key, f"I do extra thing {n}.", f"{{name}} does {n}.")
        competencies[n % len(competencies)] = dataclasses.replace(c, items=(*c.items, extra))
    spec = dataclasses.replace(spec, key="bench-35", competencies=tuple(competencies))
    assert len(spec.items) == 31 + EXTRA_ITEMS
    return spec
