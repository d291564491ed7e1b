"""EventLog: records from many threads, in order; the spans the Gantt chart draws."""

from __future__ import annotations

import threading

from course_utils.distribution.simulator import EventLog, worker_spans


def test_records_from_many_threads_are_all_kept_in_time_order():
    log = EventLog()

    def record(name):
        for round_ in range(50):
            log.record(name, round_, "compute_start")

    threads = [threading.Thread(target=record, args=(f"worker-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = [event.t for event in log.events]
    assert len(log) == 200 and times == sorted(times)
    assert len(log.select(actor="worker-2")) == 50
    assert len(log.select(round_=7, kind="compute_start")) == 4


def test_worker_spans_pair_each_start_with_its_end():
    log = EventLog()
    log.record("worker-0", 1, "compute_start")
    log.record("worker-1", 1, "compute_start")
    log.record("worker-0", 1, "compute_end")
    log.record("worker-1", 1, "compute_end")
    spans = worker_spans(log)
    assert sorted((s.actor, s.round) for s in spans) == [("worker-0", 1), ("worker-1", 1)]
    assert all(s.seconds >= 0 for s in spans)
