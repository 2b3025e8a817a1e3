"""After (and before) the results: the coachee's predictions and the development plan."""
