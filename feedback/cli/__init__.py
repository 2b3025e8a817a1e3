"""Commands that serve no one domain: ``feedback analyze`` (the gap analysis on a
ratings file from anywhere) and ``feedback check`` (what a production instance lacks).
Each domain keeps its own commands beside it."""
