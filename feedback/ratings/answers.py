"""What someone answered, as a plain value: the forms produce it, drafts keep it as
JSON, the store writes it."""

from dataclasses import dataclass, field


@dataclass
class Answers:
    """Scores by item key (``None`` = "Don't know") and texts by open-question key."""

    scores: dict[str, int | None] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-ready copy, for drafts."""
        return {"scores": self.scores, "texts": self.texts}

    @classmethod
    def from_json(cls, data: dict | None) -> "Answers":
        """Answers from :meth:`to_json` output; an empty draft gives no answers."""
        data = data or {}
        return cls(scores=dict(data.get("scores", {})), texts=dict(data.get("texts", {})))
