"""Mail: the outbox table, rendering from template pairs at send time, transports and
the sender."""
