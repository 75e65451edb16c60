"""Count how a piece of work ended and time it: the one pattern behind the job and the
VSS-call series.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram


@contextlib.contextmanager
def outcome_of(
    counter: Counter,
    histogram: Histogram,
    name: str,
    *,
    success: str,
    failure: str,
    known: tuple[tuple[type[BaseException], str], ...] = (),
) -> Iterator[None]:
    """Count the block under (`name`, outcome) and time it under `name`.

    The outcome is `success`, the label of the first `known` exception type the block
    raised, or `failure` for any other; the exception always propagates.
    """
    started = time.perf_counter()
    outcome = failure
    try:
        yield
        outcome = success
    except BaseException as exc:
        outcome = next((label for kind, label in known if isinstance(exc, kind)), failure)
        raise
    finally:
        counter.labels(name, outcome).inc()
        histogram.labels(name).observe(time.perf_counter() - started)
