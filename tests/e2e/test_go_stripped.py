"""Stripped Go binaries, as every Go program Debian ships is: no .symtab and
no DWARF (go build -ldflags='-s -w'), only Go's own function table
(.gopclntab), which memtrace reads for names, for runtime.mallocgc and the
GC's probe points, and (through mallocgc's code) for Go's size classes.

GoHeapStripped runs every test of test_go_heap.GoHeap (counts and bytes per
function equal to Go's pprof.Lookup("allocs"), -p mid-run, cgo,
--sample-bytes, heap live per cycle against gctrace) on -s -w builds.
GoStripped compares a stripped build with the unstripped one (names equal
to `go tool nm`'s, the same stacks, GC cycles as gctrace counts them, file
and line of each frame equal to `go tool addr2line`'s, `go tool pprof -list`
on the allocating line) and runs Debian's own stripped gofmt."""
import os
import re
import subprocess
import unittest

import mt
import test_go_heap

STRIP = ("-ldflags=-s -w",)
GOFMT = "/usr/lib/go-1.19/bin/gofmt"
GOSRC = "/usr/lib/go-1.19/src/go"
GCTRACE = re.compile(r"(?m)^gc (\d+) @")


def sections(path):
    out = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"\]\s+(\.\S+)", out))


def go_name(symbol):
    """A .symtab name as Go's own tables (and pprof) give it: assembly
    functions carry their ABI there (runtime.goexit.abi0), not in .gopclntab."""
    return re.sub(r"\.abi0$", "", symbol or "")


def stacks(report):
    """The stacks (function names, innermost first) of main.alloc*'s own
    allocations (not the runtime's, such as a GC assist's, which vary)."""
    return {tuple(go_name(f["function"]) for f in s["frames"]) for s in report["sites"]
            if len(s["frames"]) > 1 and (s["frames"][1]["function"] or "").startswith("main.alloc")}


def same_cycles(test, report, traced, what=""):
    """memtrace's cycles are gctrace's: the same numbers, in order, plus at
    most a last one whose gctrace line the runtime never wrote (it prints
    after restarting the world, and main may exit first: 12 cycles for 11
    lines in one gofmt run)."""
    ours = sorted(c["cycle"] for c in report["gc"]["cycle_list"] if c["end_ns"])
    test.assertGreater(len(traced), 1, what)
    test.assertEqual(ours[:len(traced)], traced, what)
    test.assertLessEqual(len(ours) - len(traced), 1, what)


def addr2line(exe, addrs):
    """`go tool addr2line` of exe: {addr: (function, file, line)}."""
    addrs = sorted(addrs)
    out = subprocess.run(["go", "tool", "addr2line", exe], input="".join("0x%x\n" % a for a in addrs),
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(out) == 2 * len(addrs), out
    got = {}
    for i, a in enumerate(addrs):
        path, _, line = out[2 * i + 1].rpartition(":")
        got[a] = (out[2 * i], path, int(line))
    return got


def go_frames(report):
    """The main.* frames of every site, each once: {pc looked up: (function,
    file, line)}.  Every such frame is a return address (the runtime's frames
    are below it), which memtrace looks up at address - 1 as Go does."""
    got = {}
    for s in report["sites"]:
        for f in s["frames"]:
            if (f["function"] or "").startswith("main."):
                got[int(f["offset"], 16) - 1] = (f["function"], f["file"], f["line"])
    return got


def gc_run(cmd, tmp, name, env=None):
    """memtrace -- CMD with gctrace on: (report, the runtime's cycle numbers)."""
    out = os.path.join(tmp, name + ".json")
    p = subprocess.run([mt.MEMTRACE, "-q", "--json", out, "--", *cmd], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, GODEBUG="gctrace=1", **(env or {})))
    if p.returncode != 0:
        raise AssertionError(p.stderr[-3000:])
    return mt.load_json(out), [int(n) for n in GCTRACE.findall(p.stderr)], p.stderr


class GoHeapStripped(test_go_heap.GoHeap):

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        tmp = mt.tempdir(cls, "mt-gostrip-")
        cls.static = mt.require_built(*test_go_heap.build(os.path.join(tmp, "goalloc-static"), False, STRIP))
        cls.cgo, why = test_go_heap.build(os.path.join(tmp, "goalloc-cgo"), True, STRIP)
        cls.cgo_why = why
        cls.tmp = tmp
        for exe in (cls.static, cls.cgo):
            if exe:
                assert ".symtab" not in sections(exe) and ".gopclntab" in sections(exe), sections(exe)


class GoStripped(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls, "mt-gostrip2-")
        cls.full = mt.require_built(*test_go_heap.build(os.path.join(cls.tmp, "goalloc"), False))
        cls.stripped = mt.require_built(*test_go_heap.build(os.path.join(cls.tmp, "goalloc-s"), False, STRIP))

    def run_both(self, rounds=3):
        got = {}
        for name, exe in (("full", self.full), ("stripped", self.stripped)):
            prof = os.path.join(self.tmp, name + ".prof")
            got[name] = gc_run([exe, "-rounds", str(rounds), "-profile", prof], self.tmp, name) + \
                (test_go_heap.go_profile(prof),)
        return got

    def test_same_as_unstripped(self):
        """Per-function counts and bytes, stacks and GC cycles: the stripped
        build's equal the unstripped one's, and each equals Go's own account."""
        got = self.run_both()
        for name, (report, cycles, stderr, theirs) in got.items():
            self.assertRegex(stderr, r"(?m)^Tracing PID \d+ .*Go 1\.\d+ heap and GC", name)
            ours = test_go_heap.memtrace_profile(report)
            for fn in test_go_heap.PER_ROUND:
                self.assertEqual(ours.get(fn), theirs.get(fn), (name, fn))
            same_cycles(self, report, cycles, name)
        # The same stacks, named alike.
        self.assertEqual(stacks(got["stripped"][0]), stacks(got["full"][0]))

    def test_names_are_go_tool_nm(self):
        """Every function named in the stripped run is a text symbol that `go
        tool nm` lists for the unstripped binary (less the .abi0 of assembly
        functions, which Go's tables and pprof do not show)."""
        nm = subprocess.run(["go", "tool", "nm", self.full], capture_output=True, text=True, check=True).stdout
        text = {}
        for line in nm.splitlines():
            m = re.match(r"^\s*([0-9a-f]+) [Tt] (\S.*)$", line)
            if m:
                text[go_name(m.group(2))] = int(m.group(1), 16)
        out = os.path.join(self.tmp, "nm.json")
        subprocess.run([mt.MEMTRACE, "-q", "--json", out, "--", self.stripped, "-rounds", "1", "-profile",
                        os.path.join(self.tmp, "nm.prof")], check=True, capture_output=True, timeout=300)
        names = {f["function"] for s in mt.load_json(out)["sites"] for f in s["frames"]}
        self.assertGreater(len(names), 8, names)
        for n in names:
            self.assertIn(n, text, "%s is not in go tool nm's text symbols" % n)
        # And addresses: go tool nm on the stripped binary has nothing to say.
        p = subprocess.run(["go", "tool", "nm", self.stripped], capture_output=True, text=True)
        self.assertNotIn("main.allocNodes", p.stdout)

    def traced_lines(self, exe, name):
        """Runs exe under memtrace: (its main.* frames as go_frames gives
        them, its report, the pprof file written).  The folded output with
        --lines names each of those frames' lines too."""
        out, prof = os.path.join(self.tmp, name + "-l.json"), os.path.join(self.tmp, name + "-l.pb.gz")
        folded = os.path.join(self.tmp, name + "-l.folded")
        subprocess.run([mt.MEMTRACE, "-q", "--lines", "--metric", "alloc_space", "--json", out, "-o", prof,
                        "-o", folded, "--", exe, "-rounds", "1", "-profile",
                        os.path.join(self.tmp, name + "-l.prof")], check=True, capture_output=True, timeout=300)
        report = mt.load_json(out)
        got = go_frames(report)
        self.assertTrue({"main.allocNodes", "main.allocBufs", "main.allocLarge", "main.round", "main.main"} <=
                        {fn for fn, _, _ in got.values()}, (name, got))
        with open(folded) as f:
            names = set(re.findall(r"(?m)(?:^|;)(main\.[\w.]+ \([^)]*\))", f.read()))
        self.assertEqual(names, {"%s (%s:%d)" % (fn, os.path.basename(path), line) for fn, path, line in got.values()})
        return got, report, prof

    def test_lines_are_go_tool_addr2line(self):
        """File and line of every main.* frame, from the stripped build's
        .gopclntab (it has no DWARF) and from the unstripped build (whose
        DWARF Go compresses), equal `go tool addr2line` of the unstripped
        build at the same addresses; and `go tool pprof -list` of the
        stripped run's pprof puts each function's bytes on its make line."""
        for name, exe in (("full", self.full), ("stripped", self.stripped)):
            got, _, prof = self.traced_lines(exe, name)
            self.assertEqual(got, addr2line(self.full, got), name)
        src = os.path.join(test_go_heap.SRC, "main.go")
        with open(src) as f:
            lines = f.read().splitlines()
        for fn, stmt in (("main.allocBufs", "make([]byte, 1024)"), ("main.allocLarge", "make([]byte, 40960)"),
                         ("main.allocOdd", "make([]byte, 1000)")):
            want = next(i + 1 for i, text in enumerate(lines) if stmt in text)
            listing = subprocess.run(["go", "tool", "pprof", "-sample_index=alloc_space", "-list", "^%s$" % fn,
                                      prof], capture_output=True, text=True, check=True).stdout
            self.assertIn("ROUTINE ======================== %s in %s" % (fn, src), listing)
            row = re.search(r"(?m)^\s*(\S+)\s+(\S+)\s+%d:" % want, listing)
            self.assertTrue(row and row.group(2) != ".", "%s line %d has no bytes:\n%s" % (fn, want, listing))
            # pprof's Function start_line: the func line (s= in -raw).
            decl = next(i + 1 for i, text in enumerate(lines) if text.startswith("func %s(" % fn[5:]))
            raw = subprocess.run(["go", "tool", "pprof", "-raw", prof], capture_output=True, text=True,
                                 check=True).stdout
            self.assertIn(" %s %s:%d s=%d\n" % (fn, src, want, decl), raw)

    def test_cgo_lines(self):
        """A cgo binary's DWARF comes from gcc's link, with .debug_aranges for
        the C units only; read through it, every Go frame showed the last C
        line before it (gcc_mmap.c:37).  Its Go frames equal `go tool
        addr2line`, and its C frame (the preamble's goalloc_c_alloc) keeps
        its DWARF line, equal to llvm-addr2line's (binutils' 2.40 names the
        generated cgo2.c where the line table says cgo.go)."""
        exe, why = test_go_heap.build(os.path.join(self.tmp, "goalloc-cgo"), True)
        if not exe:
            self.fail("cannot build a cgo program: " + why)
        got, report, _ = self.traced_lines(exe, "cgo")
        self.assertEqual(got, addr2line(exe, got))
        c = {int(f["offset"], 16) - 1: (f["file"], f["line"]) for s in report["sites"] for f in s["frames"]
             if f["function"] == "goalloc_c_alloc"}
        self.assertTrue(c, "no C frame in the cgo run")
        for pc, (path, line) in c.items():
            out = subprocess.run(["llvm-addr2line", "-e", exe, "0x%x" % pc], capture_output=True, text=True,
                                 check=True).stdout.split()[0]
            self.assertEqual((path, line), (out.rpartition(":")[0], int(out.rpartition(":")[2])))

    def test_pie(self):
        """A stripped PIE (Go 1.18+ keeps its table in .data.rel.ro.gopclntab,
        and its runtime.text comes from a relocation): it needs no library,
        so the Tracing line is not left waiting for a malloc that never comes."""
        exe, why = test_go_heap.build(os.path.join(self.tmp, "goalloc-pie"), False, ("-buildmode=pie",) + STRIP)
        if not exe:
            self.fail("cannot build a Go PIE: " + why)
        self.assertNotIn(".symtab", sections(exe))
        prof = os.path.join(self.tmp, "pie.prof")
        report, cycles, stderr = gc_run([exe, "-rounds", "2", "-profile", prof], self.tmp, "pie")
        self.assertRegex(stderr, r"(?m)^Tracing PID \d+ \(goalloc-pie\): Go 1\.\d+ heap and GC")
        ours, theirs = test_go_heap.memtrace_profile(report), test_go_heap.go_profile(prof)
        for fn in test_go_heap.PER_ROUND:
            self.assertEqual(ours.get(fn), theirs.get(fn), fn)
        same_cycles(self, report, cycles)

    def test_debian_gofmt(self):
        """Debian's gofmt, a stripped Go 1.19 binary we did not build: its
        heap gets named Go frames, and its GC cycles are gctrace's."""
        if not os.path.exists(GOFMT):
            if mt.CI:
                self.fail("gofmt is not installed (tools/setup-deps.sh installs golang-go)")
            self.skipTest("gofmt is not installed")
        self.assertNotIn(".symtab", sections(GOFMT))
        # GOGC=5: several cycles (10 here) in a few seconds.
        files = [os.path.join(GOSRC, d, f) for d in ("parser", "printer")
                 for f in sorted(os.listdir(os.path.join(GOSRC, d))) if f.endswith(".go")]
        report, cycles, stderr = gc_run([GOFMT, "-l", *files], self.tmp, "gofmt", {"GOGC": "5"})
        self.assertRegex(stderr, r"(?m)^Tracing PID \d+ \(gofmt\).*Go 1\.19 heap and GC")
        self.assertGreater(report["go_heap"]["calls"], 10000)
        names = {f["function"] for s in report["sites"] for f in s["frames"]}
        self.assertIn("runtime.main", names)
        self.assertTrue(any(n.startswith("go/parser.") for n in names), sorted(names)[:50])
        self.assertTrue(any(n.startswith("main.") for n in names), sorted(names)[:50])
        # Lines from its .gopclntab: go tool addr2line's, at each caller frame.
        got = {int(f["offset"], 16) - 1: (f["function"], f["file"], f["line"]) for s in report["sites"]
               for f in s["frames"][1:] if f["module"] == GOFMT}
        self.assertGreater(len(got), 50)
        self.assertEqual(got, addr2line(GOFMT, got))
        same_cycles(self, report, cycles)


if __name__ == "__main__":
    unittest.main()
