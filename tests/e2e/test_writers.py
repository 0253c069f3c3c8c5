"""End-to-end checks of the report writers against the real consumers:
go tool pprof, xmllint and headless Chromium.

Builds tests/writers/write_sample.c with the writer sources, writes every
format for a known profile (see tests/writers/sample_profile.h), then checks
each file with the tool meant to read it.  A missing tool skips its test,
except under CI=true, where it fails.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "writers")
# Every collector object but the programs' mains (main.o, cli/main_*.o):
# the writers with everything they share.  Objects whose source is gone
# (a file moved or split since the last build) are left out.
def writer_objects():
    objs = os.path.join(ROOT, "build", "user")
    return sorted(os.path.join(d, f) for d, _, files in os.walk(objs) for f in files
                  if f.endswith(".o") and f != "main.o" and not f.startswith("main_")
                  and os.path.exists(os.path.join(ROOT, "user", os.path.relpath(os.path.join(d, f[:-2] + ".c"), objs))))


# user/ is in folders by stage, headers included by name.
USER_INC = ["-Iuser"] + sorted("-Iuser/" + d for d in os.listdir(os.path.join(ROOT, "user"))
                               if os.path.isdir(os.path.join(ROOT, "user", d)))
CFLAGS = ["-O2", "-g", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-Iinclude", "-Ibuild"] + USER_INC + [
    "-Itests/writers"]
IN_CI = os.environ.get("CI") == "true"

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]


def need(tool, why):
    """Path of tool, or skip (fail under CI) when it is not installed."""
    path = shutil.which(tool)
    if path:
        return path
    if IN_CI:
        raise AssertionError("%s is required under CI=true (%s)" % (tool, why))
    raise unittest.SkipTest("%s not installed: %s not checked" % (tool, why))


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return need("chromium", "HTML rendering (apt-get install -y chromium)")


def run_chromium(args, timeout=120):
    profile_dir = tempfile.mkdtemp(prefix="mt-chromium-")
    try:
        cmd = [chromium_binary()] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile_dir] + args
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile_dir, ignore_errors=True)


def console_errors(stderr):
    """Console messages and uncaught exceptions Chromium logged for the page."""
    return [line for line in stderr.splitlines()
            if ("CONSOLE" in line or "Uncaught" in line) and "file://" in line]


class WritersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(BUILD, exist_ok=True)
        cls.exe = os.path.join(BUILD, "write_sample")
        cc = os.environ.get("CC", "cc")
        sources = ["tests/writers/write_sample.c", "tests/writers/sample_profile.c"] + writer_objects()
        subprocess.run([cc] + CFLAGS + sources + ["-lbpf", "-ldw", "-lelf", "-lz", "-lm", "-lpthread", "-lstdc++", "-o", cls.exe], cwd=ROOT, check=True)
        cls.out = tempfile.mkdtemp(prefix="mt-writers-")
        subprocess.run([cls.exe, cls.out], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.out, name)

    def read(self, name):
        with open(self.path(name), encoding="utf-8") as f:
            return f.read()

    def pprof(self, *args):
        go = need("go", "pprof output")
        env = dict(os.environ)
        home = tempfile.mkdtemp(prefix="mt-gohome-")
        env.update(HOME=home, GOCACHE=os.path.join(home, "cache"), GOPATH=os.path.join(home, "go"),
                   PPROF_TMPDIR=home, GOFLAGS="", GOTOOLCHAIN="local")
        try:
            res = subprocess.run([go, "tool", "pprof"] + list(args) + [self.path("profile.pb.gz")],
                                 capture_output=True, text=True, env=env, timeout=300)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        return res.stdout

    def assert_row(self, top, flat, cum, name):
        pattern = r"^\s*%s\s+\S+\s+\S+\s+%s\s+\S+\s+%s$" % (re.escape(flat), re.escape(cum), re.escape(name))
        self.assertRegex(top, re.compile(pattern, re.M), "no row %s %s %s in:\n%s" % (flat, cum, name, top))

    def test_pprof_top_inuse_space(self):
        top = self.pprof("-top", "-sample_index=inuse_space")
        self.assertIn("Type: inuse_space", top)
        self.assertIn("Total samples = 4608kB", top)
        self.assert_row(top, "3072kB", "3072kB", "xmalloc")
        self.assert_row(top, "1024kB", "1024kB", "operator new")
        self.assert_row(top, "512kB", "512kB", "leak_one")
        self.assert_row(top, "0", "4608kB", "main")
        self.assert_row(top, "0", "512kB", "demo+0x1234")
        self.assertIn("memtrace.pid=4242", top)

    def test_pprof_default_and_other_indices(self):
        self.assertIn("Type: inuse_space", self.pprof("-top"))
        top = self.pprof("-top", "-sample_index=alloc_objects")
        self.assert_row(top, "8192", "8192", "operator new")
        self.assert_row(top, "64", "64", "c")
        self.assert_row(top, "0", "8778", "main")

    def test_pprof_raw_mappings_and_locations(self):
        raw = self.pprof("-raw")
        self.assertIn("alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]", raw)
        self.assertIn("PeriodType: space bytes", raw)
        self.assertRegex(raw, r"1: 0x400000/0x500000/0x0 /usr/bin/demo 0123456789abcdef0123456789abcdef01234567 \[FN\]")
        self.assertRegex(raw, r"0x401234 M=1 demo\+0x1234 ")
        self.assertRegex(raw, r"\s+10\s+4194304\s+3\s+3145728: 1 2 3 ")

    def test_folded_exact(self):
        self.assertEqual(self.read("inuse_space.folded"),
                         "main;demo+0x1234;leak_one 524288\n"
                         "main;handle_request;std::vector<int, std::allocator<int> >::push_back;operator new 1048576\n"
                         "main;parse_config;xmalloc 3145728\n")
        self.assertEqual(self.read("alloc_objects.folded"),
                         "main;a;weird:name;tab?here;c 64\n"
                         "main;demo+0x1234;leak_one 512\n"
                         "main;handle_request;std::vector<int, std::allocator<int> >::push_back;operator new 8192\n"
                         "main;parse_config;xmalloc 10\n")

    def test_pprof_read_round_trip(self):
        self.assertEqual(self.read("roundtrip.folded"), self.read("inuse_space.folded"))

    def test_svg_well_formed(self):
        xmllint = need("xmllint", "SVG well-formedness (apt-get install -y libxml2-utils)")
        for name in ("flame.svg", "diff.svg"):
            res = subprocess.run([xmllint, "--noout", self.path(name)], capture_output=True, text=True)
            self.assertEqual(res.returncode, 0, "%s: %s" % (name, res.stderr))
        svg = self.read("flame.svg")
        self.assertIn("demo &lt;flame&gt; &amp; co", svg)
        self.assertIn("std::vector&lt;int, std::allocator&lt;int&gt; &gt;::push_back", svg)
        self.assertIn("<title>xmalloc\ninuse_space: 3.00 MiB (3,145,728 bytes), 66.67%</title>", svg)
        self.assertNotRegex(svg, r"(src|href)=")
        diff = self.read("diff.svg")
        self.assertIn("before: 1.00 MiB, change: +2.00 MiB (+200.0%)", diff)

    def test_html_renders_in_chromium(self):
        res = run_chromium(["--dump-dom", "file://" + self.path("report.html")])
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        self.assertEqual(console_errors(res.stderr), [])
        dom = res.stdout
        self.assertIn('id="summary-table"', dom)
        self.assertIn("demo-app", dom)
        self.assertIn('id="drops-total">10<', dom)
        self.assertIn('id="sites-table"', dom)
        self.assertEqual(dom.count("<tr><td class=\"num\">"), 3)
        self.assertIn("<code>xmalloc</code>", dom)
        self.assertEqual(dom.count('data-ready="1"'), 4)  # every flame graph's script ran

    def test_flamegraph_script_zoom_and_search(self):
        page = self.read("report.html")
        probe = ("<pre id=\"probe\"></pre><script>(function(){"
                 "var s=document.getElementById('flamegraph-inuse_space').mtfg;"
                 "var pct=s.find('^xmalloc$');"
                 "s.zoom(1);"  # frame 1 is "main": everything stays visible
                 "var hidden=document.querySelectorAll('#flamegraph-inuse_space g.f[style*=\"none\"]').length;"
                 "document.getElementById('probe').textContent='matched='+pct.toFixed(1)+' hidden='+hidden+"
                 "' frames='+s.frames;"
                 "})();</script></body>")
        path = self.path("probe.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page.replace("</body>", probe))
        res = run_chromium(["--dump-dom", "file://" + path])
        self.assertEqual(console_errors(res.stderr), [])
        self.assertIn('<pre id="probe">', res.stdout)
        self.assertTrue('text-anchor="end">Matched: 66.7%</text>' in res.stdout, "search did not report")
        res.stdout = res.stdout[res.stdout.index('<pre id="probe">') - 2000:]
        self.assertIn("matched=66.7 hidden=0 frames=9", res.stdout)


if __name__ == "__main__":
    unittest.main()
