"""What was said, never who said it: where an answer is stored, guarded and shown.

- **Stored**: :mod:`.models` (responses, ratings, open answers: a group and the
  answers, with a random id and nothing that ties them to an invite), written only
  by :func:`.store.store_answers`, the one write path for the coachee's self-assessment
  and raters' submits (a rater's draft lives on their invite until they submit).
- **Read**: :mod:`.frames` turns a cycle's submitted answers into the analysis's long
  format.
- **Guarded**: :mod:`.results` runs the gap analysis and its anonymity guard
  (:mod:`feedback.analysis`, docs/analysis.md) on a closed cycle, once per process, and keeps
  the guarded figures, comments and charts that every view draws from.
- **Shown**: the coach's dashboard (:mod:`feedback.cycles.dashboard`), the exports and
  the released report (:mod:`feedback.reports`) show only what :mod:`.results` holds.
  The close keeps what the dashboard shows of it as a plain document (:mod:`.shown`),
  so a worker shows a closed cycle without running the engine, pandas or plotly.
- **Unlinked**: when a cycle closes, :mod:`feedback.cycles.unlink` rewrites its
  responses so that their order on disk does not follow the order of submission.

The forms that collect answers are in :mod:`.forms`; :class:`.answers.Answers` is the
value they produce.
"""
