"""Demo data: a coach, a coachee with a complete, closed cycle whose answers show clear
blind spots and hidden strengths, and a second coachee with a cycle just opened."""

import os
import random
from datetime import timedelta
from urllib.parse import urlsplit

import click
from click.core import ParameterSource
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from .accounts.services import coach_by_email, create_coach
from .coaching.services import add_coachee
from .cycles import lifecycle
from .database import commit
from .mail import views as mail_views
from .mail.sender import deliver_due
from .raters import services as raters
from .raters.services import Nomination
from .ratings.answers import Answers
from .ratings.store import store_answers
from .timeutil import today
from .vocabulary import SELF

DEMO_EMAIL = "maria.novak@example.com"
DEMO_PASSWORD = "mirror-demo-360"  # noqa: S105 (printed for the demo on purpose)

#: How others see the demo coachee on each item (before group shifts and noise),
#: and how the coachee sees themself. Chosen to show each category on the dashboard.
PROFILE: dict[str, tuple[float, int]] = {
    # item: (others' typical score, self score)
    "takes_initiative": (4.4, 5),
    "shows_enthusiasm": (4.6, 5),
    "owns_problems": (4.2, 4),
    "takes_on_challenges": (4.3, 5),
    "high_standards": (4.5, 5),
    "delivers_on_time": (3.6, 4),
    "focuses_on_priorities": (3.3, 4),
    "defines_done": (2.9, 3),
    "persists": (4.4, 4),
    "warns_early": (2.4, 4),  # blind spot
    "decides_in_time": (4.3, 5),
    "asks_those_affected": (2.5, 4),  # blind spot
    "checks_facts": (3.9, 4),
    "explains_reasons": (3.0, 4),
    "admits_wrong_calls": (3.4, 3),
    "listens": (2.6, 5),  # blind spot
    "explains_clearly": (4.1, 4),
    "shares_information": (3.1, 3),
    "disagrees_directly": (4.3, 2),  # hidden strength
    "respects_everyone": (4.6, 4),
    "works_across_teams": (3.9, 4),
    "gives_specific_feedback": (4.0, 3),
    "gives_credit": (4.7, 3),  # hidden strength
    "delegates_to_stretch": (3.9, 3),
    "asks_before_telling": (2.7, 3),
    "makes_time_for_others": (4.4, 2),  # hidden strength
    "asks_for_feedback": (3.5, 4),
    "acts_on_feedback": (3.0, 4),  # others disagree (see SPLIT)
    "learns_new_skills": (4.2, 4),
    "reviews_setbacks": (3.8, 4),
    "tries_new_approaches": (4.0, 4),
}
#: Items on which raters split into two camps.
SPLIT = {"acts_on_feedback"}
#: How each group's view differs from the typical one, by competency.
GROUP_SHIFT = {
    "boss": {"results": 0.4, "decisions": 0.3},
    "subordinate": {"growing_people": 0.4, "people": -0.3},
    "partner": {"results": -0.3},
    "peer": {},
}
#: Competencies a group rarely sees, where some answer "Don't know".
UNSEEN = {
    "partner": {"growing_people", "learning"},
    "boss": set(),
    "peer": set(),
    "subordinate": {"decisions"},
}

RATERS = [
    ("dana.fischer@example.com", "boss", "Dana Fischer"),
    ("li.wei@example.com", "peer", "Li Wei"),
    ("omar.haddad@example.com", "peer", "Omar Haddad"),
    ("sofia.rossi@example.com", "peer", "Sofia Rossi"),
    ("jonas.berg@example.com", "peer", "Jonas Berg"),
    ("amara.okafor@example.com", "subordinate", "Amara Okafor"),
    ("tom.becker@example.com", "subordinate", "Tom Becker"),
    ("ines.garcia@example.com", "subordinate", "Ines García"),
    ("kai.nakamura@example.com", "subordinate", "Kai Nakamura"),
    ("ruth.adler@example.com", "partner", "Ruth Adler"),
    ("pablo.diaz@example.com", "partner", "Pablo Díaz"),
    ("nora.lind@example.com", "partner", "Nora Lind"),
]

#: The open answers, one list per question, each answer written once: every rater gets
#: a different one (or leaves the question out), as real comments never repeat word for
#: word. Read together they say what the ratings say: listening, early warnings and
#: asking before deciding are the blind spots; credit, time for people and directness
#: the hidden strengths.
KEEP = [
    "Keep taking the hard problems on yourself; the team trusts you with them.",
    "The energy you bring to every kick-off is contagious. Please keep it.",
    "Keep giving credit so generously; people notice, and it matters to them.",
    "Keep telling us straight when you disagree. It saves us weeks of guessing.",
    "Keep the bar high for the quality of what we ship, even under pressure.",
    "You always find an hour for someone who is stuck. Don't stop doing that.",
    "Keep naming the people who did the work when you present results upstairs.",
    "Your honesty in reviews: direct, never personal. Keep it exactly like that.",
    "Keep coaching the juniors; two of them grew faster this year thanks to you.",
    "Keep saying no to the nice-to-have projects. Our priorities stay clear.",
    "Keep sharing your notes after client meetings; they help the whole team.",
    "Keep your calm in escalations. It spreads to everyone in the room.",
]
CHANGE = [
    "Let people finish their sentence before you answer. Often you answer a different question.",
    "Tell us earlier when a date is slipping; we usually learn it at the last moment.",
    "Ask the people affected before deciding, not after the decision is made.",
    "Explain the why behind decisions, not only the what.",
    "In meetings, slow down and listen more; quieter colleagues give up trying.",
    "Share what you hear from leadership sooner; the team feels out of the loop.",
    "Warn stakeholders about risks when you first see them, not in the final week.",
    "Check with the team before promising dates to clients.",
    "Listen to the whole proposal before pointing out what is wrong with it.",
    "Involve partners in decisions that change their plans, before announcing them.",
    "Admit sooner when a plan is not working; the team already knows.",
    "Hand over some of the hard problems instead of solving them all yourself.",
]
BEST = [
    "In a crisis: calm, decisive, and the first to roll up their sleeves.",
    "When coaching a new colleague: patient and generous with their time.",
    "At the whiteboard with a messy problem, turning it into a plan within an hour.",
    "In a tough negotiation with a client: firm, fair and well prepared.",
    "Presenting the team's work to the board, giving every contributor the credit.",
    "Running the post-mortem after the outage: honest, blameless, practical.",
    "Onboarding our new partner: clear expectations and a warm welcome.",
    "Defending the team's priorities against a flood of last-minute requests.",
    "Mentoring two juniors through their first release, step by step.",
    "Turning a sceptical customer into a supporter in a single workshop.",
    "Settling a long dispute between two teams with one direct conversation.",
    "Rebuilding the release plan overnight when a supplier dropped out.",
]
HEADLINES = [
    "Energetic, decisive doer who lifts others, but talks faster than they listen.",
    "Drives results hard; great mentor; should ask before deciding.",
    "The one you call when it is on fire. Generous with credit, short on patience.",
    "Fast, fair, fearless. Could listen more.",
    "Builds people up and gets things done; surprises us with late news.",
    "Reliable engine of the team who should let others speak first.",
    "Straight talker, big heart, always busy.",
    "Sets a high bar, shares the credit, decides before asking.",
    "Honest and generous mentor who hears the end of a sentence too rarely.",
    "Gets the hard things done; tells us about risks a little late.",
    "A decisive builder of people and products, sometimes in a hurry.",
    "Direct, dependable, demanding: the colleague who makes time for you.",
]
SELF_TEXTS = {
    "strengths": "Getting things moving, solving hard problems, and keeping high standards.",
    "motivation": "Building something that lasts and seeing people in my team grow.",
    "learning": "Leading through others rather than doing it all myself; basic finance.",
    "skills_needed": "Delegating, and managing stakeholders outside my own department.",
    "dream_job": "Heading a product unit where I can build a team from scratch.",
    "flow": "Redesigning our release process with two engineers: hours felt like minutes.",
    "mission": "To build teams that do their best work without needing me.",
    "headline": "Decisive builder who gets things done and always listens to the team.",
}


def _score(rng: random.Random, item: str, competency: str, group: str) -> int | None:
    if competency in UNSEEN[group] and rng.random() < 0.5:
        return None
    typical, _self = PROFILE[item]
    if item in SPLIT:
        return rng.choice([1, 2, 4, 5])
    value = typical + GROUP_SHIFT[group].get(competency, 0.0) + rng.gauss(0, 0.55)
    return int(min(5, max(1, round(value))))


def seed_demo(seed: int = 360) -> str:
    """Create the demo data once; a second call leaves it as it is. Returns a summary."""
    if coach_by_email(DEMO_EMAIL) is not None:
        return "Demo data is already there."
    rng = random.Random(seed)
    coach = create_coach(email=DEMO_EMAIL, name="Maria Novak", password=DEMO_PASSWORD)
    alex = add_coachee(coach, name="Alex Morgan", email="alex.morgan@example.com")
    cycle = lifecycle.start_cycle(
        alex,
        closes_on=today() + timedelta(days=14),
        welcome_note="Alex, as agreed in our first session: let's see how others see you.",
    )
    questionnaire = cycle.questionnaire
    competency_of = {item.key: item.competency.key for item in questionnaire.items}
    store_answers(
        cycle,
        SELF,
        Answers(
            scores={key: PROFILE[key][1] for key in competency_of},
            texts=SELF_TEXTS,
        ),
        submit=True,
    )
    invites, _refused = raters.nominate(
        cycle, [Nomination(email=e, group=g, name=n) for e, g, n in RATERS]
    )
    # Each rater's answer to a question is a different one of its list, in a shuffled
    # order; a few raters leave a question out.
    comments = {
        key: rng.sample(texts, len(texts))
        for key, texts in (
            ("keep", KEEP),
            ("change", CHANGE),
            ("best", BEST),
            ("headline", HEADLINES),
        )
    }
    for number, invite in enumerate(invites):
        texts = {key: answers[number] for key, answers in comments.items()}
        if rng.random() < 0.25:
            del texts[rng.choice(["keep", "change", "best"])]
        answers = Answers(
            scores={
                key: _score(rng, key, competency, invite.group)
                for key, competency in competency_of.items()
            },
            texts=texts,
        )
        raters.submit(invite, answers)
    lifecycle.close_cycle(cycle)

    sam = add_coachee(coach, name="Sam Lee", email="sam.lee@example.com")
    lifecycle.start_cycle(sam, closes_on=today() + timedelta(days=21))
    commit()
    deliver_due()
    return (
        f"Demo data created: coach {coach.name}, coachee {alex.name} with a closed cycle "
        f"({len(invites)} raters), and {sam.name} with a cycle just opened."
    )


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Only seed the demo data.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    help="Port to serve on; the links printed and mailed point to it too "
    "(unless FEEDBACK_BASE_URL says otherwise).",
)
@with_appcontext
def demo_command(no_serve: bool, port: int) -> None:
    """Migrate, seed a demo coach, coachee and complete cycle, and serve on 127.0.0.1 with
    the development mailbox."""
    config = current_app.config
    chosen = click.get_current_context().get_parameter_source("port")
    if "FEEDBACK_BASE_URL" in os.environ:
        if urlsplit(config["BASE_URL"]).port not in (port, None):
            click.echo(
                f"Note: links point to FEEDBACK_BASE_URL ({config['BASE_URL']}), "
                f"while the demo serves on port {port}."
            )
    elif chosen is ParameterSource.COMMANDLINE:
        # Links in the mail the demo sends, and those printed below, lead to this server.
        config["BASE_URL"] = f"http://127.0.0.1:{port}"
    upgrade()
    summary = seed_demo()
    base = config["BASE_URL"]
    click.echo(summary)
    click.echo(f"Sign in at {base}/login as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
    if not no_serve:
        app = current_app._get_current_object()
        mail_views.enable(app)
        if mail_views.serving(app):
            click.echo(f"Mail the service sends is readable at {base}/dev/mail/")
        run_simple("127.0.0.1", port, app, threaded=True)
