"""Coachees and their cycles (the hub model every domain refers to), and finding what
belongs to which coach."""
