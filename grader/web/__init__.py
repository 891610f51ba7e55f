"""`grader practice`: the practice app in the browser, a thin Starlette edge over the same
functions as `grader new --format html` (the document) and `grader check` (grading)."""
