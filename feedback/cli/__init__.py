"""Commands that serve no one domain: ``feedback analyze`` (the gap analysis on a
ratings file from anywhere). Each domain keeps its own commands beside it."""
