"""Webhooks (README "API"): a coach's endpoints hear about their cycles — closed,
results ready, released — through signed deliveries queued with the change that causes
them and sent by the scheduled round (:mod:`.services`)."""
