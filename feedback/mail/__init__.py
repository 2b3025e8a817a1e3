"""Mail: the outbox table, rendering from template pairs, transports and the sender."""
