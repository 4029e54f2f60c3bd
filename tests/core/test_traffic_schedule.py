"""Open-loop traffic: a fixed schedule, bounded, and results in the shared schema."""

import pytest

from helpers.core.traffic import MAX_REQUESTS, RESULT_COLUMNS, Schedule, TrafficRun
from helpers.errors import LabError


class ListRun(TrafficRun):
    """A driver that 'sends' at schedule times on a fake clock (for the base class's logic)."""

    def __init__(self, schedule):
        super().__init__("model", schedule)
        self.clock = schedule.start

    def _now(self):
        return self.clock


def test_requests_are_evenly_spaced_whatever_the_latency():
    s = Schedule(rps=4, start=10.0, duration=2.0)
    assert s.limit == 8
    assert [s.time_of(i) for i in range(3)] == [10.0, 10.25, 10.5]
    assert s.end == 12.0


@pytest.mark.parametrize("rps", [0, -1, 10**7, "fast"])
def test_rate_is_bounded(rps):
    with pytest.raises(LabError, match="rps"):
        Schedule(rps=rps, start=0)


def test_open_ended_runs_are_still_bounded():
    assert Schedule(rps=2000, start=0).limit == MAX_REQUESTS
    assert Schedule(rps=10, start=0, max_requests=5).limit == 5
    with pytest.raises(LabError, match="duration"):
        Schedule(rps=10, start=0, duration=10**6)


def test_results_and_summary():
    run = ListRun(Schedule(rps=10, start=0))
    with run:
        for i in range(10):
            ok = i != 3
            run.record(
                i / 10, 5.0 + i, ok, 200 if ok else 502, "v1" if i < 5 else "v2", f"p{i % 2}"
            )
    assert not run.running
    df = run.results
    assert list(df.columns) == RESULT_COLUMNS
    assert len(df) == 10
    summary = run.summary()
    assert summary["failed"] == 1 and summary["ok"] == 9
    assert summary["versions"] == {"v1": 4, "v2": 5}
    assert summary["p50_ms"] == pytest.approx(10.0)
