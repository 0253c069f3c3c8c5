"""One clock: the JSON report states its time base (seconds since the trace
started, with a wall-clock and a CLOCK_MONOTONIC anchor) and every timed
record carries t_s on it; --timeline (and -o NAME.trace.json) writes Chrome
trace events on the same clock: a real GC's pauses there have the JSON's
ts and duration, the heap counters the JSON's series, and the page-fault rate
integrates to the faults the target itself counts (getrusage)."""
import json
import os
import subprocess
import unittest

import mt

GC_BENCH = os.path.join(mt.BUILD, "refgc-bench")


def ns(seconds_text_value):
    """A JSON t_s (exact decimal seconds) back in integer nanoseconds."""
    return round(seconds_text_value * 1e9)


def check_trace_events(test, doc, pid):
    """The trace-event format's rules for what a timeline may hold."""
    test.assertIsInstance(doc["traceEvents"], list)
    last = {}
    for e in doc["traceEvents"]:
        test.assertIn(e["ph"], ("M", "C", "X", "i"), e)
        test.assertIsInstance(e["name"], str)
        test.assertEqual(e["pid"], pid)
        test.assertIsInstance(e["tid"], int)
        if e["ph"] == "M":
            test.assertIsInstance(e["args"]["name"], str)
            continue
        test.assertIsInstance(e["ts"], (int, float))
        if e["ph"] == "X":
            test.assertGreaterEqual(e["dur"], 0)
        if e["ph"] == "i":
            test.assertIn(e["s"], ("g", "p", "t"))
        if e["ph"] == "C":
            for v in e["args"].values():
                test.assertIsInstance(v, (int, float))
        # Each track's events come in time order.
        track = (e["ph"], e["name"] if e["ph"] == "C" else "", e["tid"])
        test.assertGreaterEqual(e["ts"], last.get(track, float("-inf")), e)
        last[track] = e["ts"]


class Timeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls, "mt-timeline-")
        cls.timeline = os.path.join(cls.tmp, "gc.trace.json")
        cls.other = os.path.join(cls.tmp, "again.trace.json")
        cls.r = mt.run(["-i", "0.5", "--timeline", cls.timeline, "-o", cls.other],
                       [GC_BENCH, "--workload", "latency", "--seconds", "3"])
        cls.doc = mt.load_json(cls.timeline)

    def test_json_states_one_clock(self):
        rep = self.r.report
        self.assertEqual(rep["clock"]["t_s"], "seconds since the trace started")
        self.assertEqual(rep["clock"]["start_unix_ns"], rep["start_time_ns"])
        origin = rep["clock"]["start_monotonic_ns"]
        pauses = rep["gc"]["pauses"]
        self.assertGreater(len(pauses), 3, self.r.stderr)
        for p in pauses:
            self.assertEqual(origin + ns(p["t_s"]), p["start_ns"])
        for c in rep["gc"]["cycle_list"]:
            self.assertEqual(origin + ns(c["t_s"]), c["start_ns"])
        for s in rep["series"]:
            self.assertEqual(ns(s["t_s"]), s["t_ns"])

    def test_trace_event_format(self):
        check_trace_events(self, self.doc, self.r.report["pid"])
        self.assertEqual(self.doc["otherData"]["start_unix_ns"], self.r.report["start_time_ns"])
        with open(self.timeline) as a, open(self.other) as b:
            self.assertEqual(a.read(), b.read())

    def test_gc_pauses_are_the_json_pauses(self):
        slices = [e for e in self.doc["traceEvents"] if e["ph"] == "X" and e["tid"] == 2]
        pauses = self.r.report["gc"]["pauses"]
        self.assertEqual(len(slices), len(pauses))
        for e, p in zip(slices, pauses):
            self.assertEqual(e["name"], p["phase"])
            self.assertEqual(e["args"]["cycle"], p["cycle"])
            self.assertEqual(round(e["ts"] * 1000), ns(p["t_s"]))
            self.assertEqual(round(e["dur"] * 1000), p["duration_ns"])

    def test_heap_counters_are_the_series(self):
        heap = [e for e in self.doc["traceEvents"] if e["ph"] == "C" and e["name"] == "heap in use"]
        series = self.r.report["series"]
        self.assertEqual(len(heap), len(series))
        for e, s in zip(heap, series):
            self.assertEqual(round(e["ts"] * 1000), s["t_ns"])
            self.assertEqual(e["args"]["bytes"], s["inuse_bytes"])
        self.assertTrue(any(e["name"] == "RSS" for e in self.doc["traceEvents"]))
        self.assertTrue(any(e["name"] == "allocation rate" for e in self.doc["traceEvents"]))

    def test_timeline_of_a_recording(self):
        rec = os.path.join(self.tmp, "t.mtrec")
        out = os.path.join(self.tmp, "rendered.trace.json")
        p = subprocess.run([mt.MEMTRACE, "-q", "--record", rec, "--timeline", os.path.join(self.tmp, "live.trace.json"),
                            "--", GC_BENCH, "--workload", "latency", "--seconds", "1"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run([mt.MEMTRACE, "report", rec, "-o", out], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as a, open(os.path.join(self.tmp, "live.trace.json")) as b:
            self.assertEqual(json.load(a), json.load(b))


FAULTS = """import mmap, resource, sys, time
def faults():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_minflt + r.ru_majflt
time.sleep(1.2)
m = mmap.mmap(-1, 16 << 20)
m.madvise(mmap.MADV_NOHUGEPAGE)
before = faults()
for off in range(0, 16 << 20, 4096):
    m[off] = 1
after = faults()
time.sleep(1.2)
print(after - before, faults())
"""


class PageFaultRate(unittest.TestCase):
    def test_rate_integrates_to_the_targets_own_count(self):
        """Debian's python3 touches 4096 fresh pages between samples: the timeline's page-fault
        rate, times each point's distance from the one before, sums to at least the faults
        getrusage counted around the touch and at most its count at exit."""
        mt.require_bpf(self)
        py = "/usr/bin/python3"
        if not os.path.exists(py):
            raise AssertionError(py + " is missing (Debian's python3 is in tools/setup-deps.sh build)")
        tmp = mt.tempdir(self)
        timeline, out = os.path.join(tmp, "f.trace.json"), os.path.join(tmp, "r.json")
        p = subprocess.run([mt.MEMTRACE, "-q", "-i", "0.2", "--json", out, "--timeline", timeline, "--",
                            py, "-c", FAULTS], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        touched, total = map(int, p.stdout.split())
        self.assertGreaterEqual(touched, 4096)
        doc = mt.load_json(timeline)
        check_trace_events(self, doc, mt.load_json(out)["pid"])
        points = [e["ts"] for e in doc["traceEvents"] if e["ph"] == "C" and e["name"] == "heap in use"]
        rates = [e for e in doc["traceEvents"] if e["ph"] == "C" and e["name"] == "page-fault rate"]
        self.assertGreater(len(rates), 5)
        counted = 0.0
        for e in rates:
            i = points.index(e["ts"])
            self.assertGreater(i, 0)
            self.assertGreaterEqual(e["args"]["faults_per_s"], 0)
            counted += e["args"]["faults_per_s"] * (e["ts"] - points[i - 1]) / 1e6
        self.assertGreaterEqual(counted, touched - 1)
        self.assertLessEqual(counted, total + 1)
        # The touch shows as a burst: one interval holds at least half of its faults.
        self.assertTrue(any(e["args"]["faults_per_s"] * (e["ts"] - points[points.index(e["ts"]) - 1]) / 1e6
                            >= 2048 for e in rates), rates)


if __name__ == "__main__":
    unittest.main()
