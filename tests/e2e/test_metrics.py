"""--metrics: Prometheus scrapes a live trace.  The text passes
`promtool check metrics`, counters grow between scrapes and stay within the
final JSON's totals, site series are bounded by --metrics-top with stable
ids, a GC pause histogram equals the JSON's pauses, and bad requests are
refused without disturbing the trace."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
import unittest
import urllib.parse

import mt

GC_BENCH = os.path.join(mt.BUILD, "refgc-bench")
SAMPLE = re.compile(r'^([a-z_]+)\{([^}]*)\} (\S+)$')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method="GET", path="/metrics", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


def scrape(port, deadline):
    """The first 200 answer before deadline (the server answers 503 before its first sample)."""
    while time.time() < deadline:
        try:
            status, ctype, body = request(port)
            if status == 200:
                return ctype, body
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("no metrics served on port %d" % port)


def parse(text):
    """[(name, {label: value}, float)] of every sample line."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def value(samples, name, **want):
    got = [v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in want.items())]
    assert len(got) == 1, (name, want, got)
    return got[0]


def promtool(text):
    tool = shutil.which("promtool")
    if not tool:
        raise AssertionError("promtool is missing (tools/setup-deps.sh test installs prometheus)")
    return subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)


class Metrics(unittest.TestCase):
    def trace(self, args, cmd, seconds, at):
        """Runs memtrace --metrics with args on cmd; scrapes at each time in at (s after start)."""
        tmp = mt.tempdir(self)
        out = os.path.join(tmp, "r.json")
        port = free_port()
        p = subprocess.Popen([mt.MEMTRACE, "-q", "--json", out, "--metrics", str(port)] + args + ["--"] + cmd,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            t0 = time.time()
            scrapes = []
            for t in at:
                time.sleep(max(0, t0 + t - time.time()))
                scrapes.append(scrape(port, t0 + seconds))
            refused = [request(port, path="/nope")[0], request(port, method="POST")[0],
                       request(port, headers={"X-Big": "a" * 9000})[0]]
            _, err = p.communicate(timeout=seconds + 60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        return scrapes, refused, mt.load_json(out)

    def test_heap_metrics_during_a_real_trace(self):
        mt.require_bpf(self)
        scrapes, refused, final = self.trace(
            ["--metrics-top", "3"], [mt.tool("workload_service"), "--seconds", "6", "--leak-bytes-per-s", "65536",
                                     "--leak-after", "0.5"], 6, [2.5, 4.5])
        self.assertEqual(refused, [404, 405, 431])
        parsed = []
        for ctype, text in scrapes:
            self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
            check = promtool(text)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            s = parse(text)
            parsed.append(s)
            for name, labels, _ in s:
                self.assertEqual(labels["pid"], str(final["pid"]), name)
                self.assertEqual(labels["comm"], "workload_service", name)
            # Top 3 sites only, each with a 16-hex-digit id and its leaf.
            sites = [l for n, l, _ in s if n == "memtrace_site_inuse_bytes"]
            self.assertEqual(len(sites), 3)
            for l in sites:
                self.assertRegex(l["site"], r"^[0-9a-f]{16}$")
        a, b = parsed
        for name, key in (("memtrace_heap_allocations_total", "alloc_count"),
                          ("memtrace_heap_allocated_bytes_total", "alloc_bytes"),
                          ("memtrace_heap_frees_total", "free_count")):
            self.assertLess(value(a, name), value(b, name), name)
            self.assertLessEqual(value(b, name), final["totals"][key], name)
        # The leak is the top site by the second scrape, under the same id as in the first.
        leak_b = [l for n, l, _ in b if n == "memtrace_site_inuse_bytes" and l["function"] == "remember_session"]
        leak_a = [l for n, l, _ in a if n == "memtrace_site_allocated_bytes_total"
                  and l["function"] == "remember_session"]
        self.assertEqual(len(leak_b), 1)
        if leak_a:
            self.assertEqual(leak_a[0]["site"], leak_b[0]["site"])
        self.assertGreater(value(b, "memtrace_site_inuse_bytes", function="remember_session"),
                           value(a, "memtrace_site_inuse_bytes", function="remember_session")
                           if leak_a else 0)
        self.assertGreater(value(b, "memtrace_rss_bytes"), 0)
        self.assertLessEqual(value(b, "memtrace_leak_alerts_total"), len(final["alerts"]))
        self.assertLessEqual(value(b, "memtrace_page_faults_total"), final["faults"]["count"])
        self.assertGreater(value(b, "memtrace_page_faults_total"), 0)
        self.assertEqual(value(b, "memtrace_dropped_events_total", reason="events_lost"), 0)

    def test_gc_pause_histogram_equals_the_json(self):
        mt.require_bpf(self)
        # refgc-bench fills its heap with the collector off first: 64 MiB
        # took 1.6-2.5 s under load here, and once more than the 5.5 s before
        # the scrape (a CI run with other jobs beside it); 16 MiB fills in a
        # quarter of that.
        (scr,), _, final = self.trace([], [GC_BENCH, "--workload", "latency", "--seconds", "6", "--live-mib", "16"],
                                      6, [5.5])
        check = promtool(scr[1])
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        s = parse(scr[1])
        count = int(value(s, "memtrace_gc_pause_seconds_count", runtime="refgc"))
        self.assertGreater(count, 0)
        pauses = sorted(final["gc"]["pauses"], key=lambda p: p["start_ns"])
        self.assertLessEqual(count, len(pauses))
        # The scrape saw the first `count` pauses the final JSON lists.
        seen = [p["duration_ns"] / 1e9 for p in pauses[:count]]
        self.assertAlmostEqual(value(s, "memtrace_gc_pause_seconds_sum", runtime="refgc"), sum(seen), places=6)
        for n, l, v in s:
            if n == "memtrace_gc_pause_seconds_bucket":
                le = float(l["le"])
                self.assertEqual(v, sum(1 for d in seen if d <= le), l["le"])
        self.assertEqual(value(s, "memtrace_gc_pause_seconds_bucket", runtime="refgc", le="+Inf"), count)
        self.assertLessEqual(value(s, "memtrace_gc_cycles_total"), final["gc"]["cycles"])

    def test_debian_python(self):
        """Debian's own python3 (no frame pointers): the scrape passes promtool and agrees with the JSON."""
        mt.require_bpf(self)
        py = "/usr/bin/python3"
        if not os.path.exists(py):
            raise AssertionError(py + " is missing (Debian's python3 is in tools/setup-deps.sh build)")
        code = "import time\nx = []\nt = time.time()\nwhile time.time() - t < 4:\n" \
               "    x.append(bytearray(1000)); time.sleep(0.001)\n"
        (scr,), _, final = self.trace([], [py, "-c", code], 4, [2.5])
        check = promtool(scr[1])
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        s = parse(scr[1])
        self.assertEqual({l["comm"] for _, l, _ in s}, {final["command"]})
        self.assertEqual({l["pid"] for _, l, _ in s}, {str(final["pid"])})
        self.assertGreater(value(s, "memtrace_heap_allocations_total"), 1000)
        self.assertLessEqual(value(s, "memtrace_heap_allocations_total"), final["totals"]["alloc_count"])
        self.assertEqual(len([1 for n, _, _ in s if n == "memtrace_site_inuse_bytes"]), 10)

    def test_bad_address_refused_before_tracing(self):
        mt.require_bpf(self)
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            for arg, code, msg in (("127.0.0.1:%d" % port, 1, "cannot serve --metrics"),
                                   ("localhost:99999", 64, "invalid --metrics"),
                                   ("nothing", 64, "invalid --metrics")):
                p = subprocess.run([mt.MEMTRACE, "--metrics", arg, "--", mt.tool("workload_exact"), "0"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, code, (arg, p.stderr))
                self.assertTrue(p.stderr.startswith("memtrace: "), p.stderr)
                self.assertIn(msg, p.stderr.splitlines()[0])
                self.assertNotIn("Tracing", p.stderr)


PROM_CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: memtrace
    static_configs:
      - targets: ["127.0.0.1:%d"]
"""


class PrometheusScrape(unittest.TestCase):
    """Debian's prometheus server scrapes --metrics on loopback; what its HTTP API gives back agrees with the JSON."""

    def start_prometheus(self, tmp, target_port):
        prom = shutil.which("prometheus")
        if not prom:
            raise AssertionError("prometheus is missing (tools/setup-deps.sh test installs it)")
        conf = os.path.join(tmp, "prometheus.yml")
        with open(conf, "w") as f:
            f.write(PROM_CONFIG % target_port)
        port = free_port()
        log = open(os.path.join(tmp, "prometheus.log"), "w")
        self.addCleanup(log.close)
        p = subprocess.Popen([prom, "--config.file", conf, "--storage.tsdb.path", os.path.join(tmp, "tsdb"),
                              "--web.listen-address", "127.0.0.1:%d" % port],
                             stdout=log, stderr=subprocess.STDOUT, cwd=tmp)

        def stop():
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.addCleanup(stop)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if request(port, path="/-/ready")[0] == 200:
                    return port
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("prometheus did not become ready on port %d" % port)

    def last(self, prom_port, name):
        """The newest sample of name Prometheus stored (a range selector: staleness markers left out)."""
        q = urllib.parse.urlencode({"query": "%s[5m]" % name})
        status, _, body = request(prom_port, path="/api/v1/query?" + q)
        self.assertEqual(status, 200, body)
        data = json.loads(body)
        self.assertEqual(data["status"], "success", body)
        return data["data"]["result"]

    def test_prometheus_scrapes_and_queries_back(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        port = free_port()
        prom_port = self.start_prometheus(tmp, port)
        out = os.path.join(tmp, "r.json")
        # 4 MiB in 4 KiB blocks, then 8 s asleep: in use is constant after setup.
        p = subprocess.Popen([mt.MEMTRACE, "-q", "--json", out, "--metrics", "127.0.0.1:%d" % port, "--",
                              mt.tool("workload_bigheap"), "4", "4096", "1000000", "8"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        final = mt.load_json(out)
        # Scrapes of the last seconds are in the head block; give the API a moment to see the last one.
        deadline = time.time() + 10
        while True:
            inuse = self.last(prom_port, "memtrace_heap_inuse_bytes")
            if inuse or time.time() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(len(inuse), 1, inuse)
        series = inuse[0]
        self.assertEqual(series["metric"]["pid"], str(final["pid"]))
        self.assertEqual(series["metric"]["comm"], "workload_bigheap")
        self.assertEqual(series["metric"]["job"], "memtrace")
        self.assertGreaterEqual(len(series["values"]), 2, series)
        self.assertEqual(float(series["values"][-1][1]), final["totals"]["inuse_bytes"])
        self.assertGreaterEqual(final["totals"]["inuse_bytes"], 4 << 20)
        (alloc,) = self.last(prom_port, "memtrace_heap_allocated_bytes_total")
        got = float(alloc["values"][-1][1])
        self.assertGreater(got, 0)
        self.assertLessEqual(got, final["totals"]["alloc_bytes"])
        (up,) = self.last(prom_port, 'up{job="memtrace"}')
        self.assertIn("1", [v for _, v in up["values"]])


if __name__ == "__main__":
    unittest.main()
