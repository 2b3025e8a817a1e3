"""The demo data covers the shipped questionnaire."""

from feedback.demo import PROFILE, UNSEEN
from feedback.questionnaires import default_questionnaire


def test_the_demo_profile_rates_exactly_the_default_items():
    spec = default_questionnaire()
    assert set(PROFILE) == {item.key for item in spec.items}
    competencies = {competency.key for competency in spec.competencies}
    assert set().union(*UNSEEN.values()) <= competencies
