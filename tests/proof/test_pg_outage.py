"""Item 4 of the proof suite: PostgreSQL crashed and restarted under load (a private
cluster on 127.0.0.1; the machine's PostgreSQL is never touched). While it is down the API
answers 503 `database_unavailable` with `Retry-After`, never 500; once it is back the API
answers again without being restarted.

The long form is the same run, longer: `uv run python -m bench.pg_outage --down 10`.
"""

from __future__ import annotations

from pathlib import Path

from bench.pg_outage import run_outage


def test_the_api_answers_503_with_retry_after_while_postgres_is_down_and_recovers(
    tmp_path: Path,
) -> None:
    figures = run_outage(tmp_path, clients=6, before=2, down=4, after=4)
    print(figures.report())
    assert sum(figures.before.values()) > 0
    assert figures.during.get(503, 0) > 0, figures.report()
    assert figures.during_503_with_retry_after == figures.during[503]
    assert set(figures.during_codes) == {"database_unavailable"}, figures.report()
    assert figures.server_errors_500 == 0, figures.report()
    assert figures.transport_errors == 0, figures.report()
    assert figures.recover_seconds is not None and figures.recover_seconds < 5, figures.report()
    assert figures.after.get(200, 0) > 0, figures.report()


def test_a_connection_lost_mid_transaction_counts_as_unavailable_through_its_rollback() -> None:
    import asyncpg

    from ebhxh.db.errors import is_unavailable

    def failed_rollback() -> BaseException:
        try:
            try:
                raise asyncpg.ConnectionDoesNotExistError("closed in the middle of operation")
            except asyncpg.ConnectionDoesNotExistError:  # as Piccolo's rollback then fails
                raise asyncpg.InterfaceError("connection has been released back to the pool")  # noqa: B904
        except asyncpg.InterfaceError as exc:
            return exc

    assert is_unavailable(failed_rollback())
    assert not is_unavailable(
        asyncpg.InterfaceError("connection has been released back to the pool")
    )
    assert not is_unavailable(asyncpg.UniqueViolationError("duplicate key"))
