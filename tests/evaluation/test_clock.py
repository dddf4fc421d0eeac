"""The controllable clock: a block can run as if it were another moment, and only that block."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from evaluation.db import clock_at, utcnow


def test_a_block_runs_at_the_moment_set_and_the_clock_comes_back() -> None:
    then = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    with clock_at(then):
        assert utcnow() == then
        with clock_at(then + timedelta(hours=1)):
            assert utcnow() == then + timedelta(hours=1)
        assert utcnow() == then
    assert utcnow() - datetime.now(UTC) < timedelta(seconds=1)


def test_another_thread_keeps_the_real_time() -> None:
    seen: list[datetime] = []
    with clock_at(datetime(2000, 1, 1, tzinfo=UTC)):
        thread = threading.Thread(target=lambda: seen.append(utcnow()))
        thread.start()
        thread.join()
    assert seen[0].year >= 2026


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"), clock_at(datetime(2026, 1, 1)):
        pass
