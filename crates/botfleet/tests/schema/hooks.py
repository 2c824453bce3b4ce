"""Schemathesis hooks for scripts/test-schema (loaded through SCHEMATHESIS_HOOKS).

One work-around, not a check: `ast.parse` runs one call at a time.

Python 3.11.7 (this machine's and CI's python3) keeps the AST converter's recursion counter per
interpreter, not per call (CPython issue gh-106905, fixed by GH-113035 in later releases). When
the run's two workers both make Hypothesis describe a strategy's lambda, Hypothesis parses source
with `ast.parse` in both threads at once, the shared counter is corrupted, and Python raises
`SystemError: AST constructor recursion depth mismatch` inside Hypothesis
(`hypothesis/internal/lambda_sources.py`). Schemathesis then reports that operation as an error
although every request it sent was answered as documented. Serialising `ast.parse` removes the
race; nothing else in the run parses Python source, so it costs nothing measurable.
"""

import ast
import threading

_parse = ast.parse
_lock = threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time
