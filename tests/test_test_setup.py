"""The test setup itself: what it promises the other tests."""
from __future__ import annotations

import time

from freezegun import freeze_time


def test_pytest_keeps_its_real_clock_while_time_is_frozen():
    import _pytest.timing

    before = time.time()
    with freeze_time("2020-01-01T00:00:00Z"):
        assert _pytest.timing.time() >= before  # not 2020: --durations measures real time
        started = _pytest.timing.perf_counter()
        time.sleep(0.01)
        assert _pytest.timing.perf_counter() > started
