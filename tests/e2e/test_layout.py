"""memtrace layout: struct holes, padding and reorderings, checked against
pahole (Debian's dwarves) on committed fixtures (C, C++, Go), on Debian's
libc (its libc6-dbg debug file) and on memtrace itself; every suggested
reordering is compiled and its sizeof/offsetof checked.

Needs no BPF (layout reads files only), except HeapProfile, which traces a
workload to a recording for --profile, and LiveSection (memtrace --layout).
"""
import json
import os
import re
import shutil
import subprocess
import unittest

import mt

FIXTURES = os.path.join(mt.BUILD, "fixtures")
LAYOUT_C = os.path.join(FIXTURES, "layout_fx")
LAYOUT_CXX = os.path.join(FIXTURES, "layout_fx_cxx")
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"

HEAD = re.compile(r'^(?:(struct|union|class) (\S.*?)|typedef (struct|union)) \{')
TAIL = re.compile(r'^\}(?: __attribute__\(\(.*\)\))? ?(\S*);')


def layout(*args, check=True):
    proc = subprocess.run([mt.MEMTRACE, "layout"] + list(args), capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError("memtrace layout %s: rc=%d\n%s" % (" ".join(args), proc.returncode, proc.stderr))
    return proc


def layout_json(path, *args):
    return json.loads(layout(path, "--json", *args).stdout)


def pahole(path, only=None):
    """{name: [summary, ...]} of pahole's top-level types: size, members,
    holes, padding... as pahole prints them (its comment lines at one tab);
    'alert' when pahole's own consistency check failed on the type.  Names
    lose pahole's " : Base" list.  only: pahole -C only (pahole lists a
    typedef'd anonymous struct only when asked by name)."""
    cmd = ["pahole"] + (["-C", only] if only else []) + [path]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError("pahole %s: rc=%d\n%s" % (path, proc.returncode, proc.stderr[-2000:]))
    types, cur, name = {}, None, None
    for line in proc.stdout.splitlines():
        m = HEAD.match(line)
        if m:
            cur, name = {"kind": m.group(1) or m.group(3)}, m.group(2) and m.group(2).split(" : ")[0]
            continue
        if cur is None:
            continue
        t = TAIL.match(line)
        if t:
            types.setdefault(name or t.group(1), []).append(cur)
            cur = None
            continue
        if "BRAIN FART ALERT" in line:
            cur["alert"] = True
        if line.startswith("\t/* ") and not line.startswith("\t\t"):
            for k, v in re.findall(r'([a-z_ ]+): (-?\d+)', line[4:]):
                cur[k.strip()] = int(v)
    return types


def expected_from(p):
    return {"size": p["size"], "nmembers": p.get("members", 0), "holes": p.get("holes", 0),
            "sum_holes": p.get("sum holes", 0), "bit_holes": p.get("bit holes", 0),
            "sum_bit_holes": p.get("sum bit holes", 0), "padding": p.get("padding", 0),
            "bit_padding": p.get("bit_padding", 0), "sum_members": p.get("sum members")}


def got_from(t):
    got = {k: t[k] for k in ("size", "nmembers", "holes", "sum_holes", "bit_holes", "sum_bit_holes", "padding",
                             "bit_padding", "sum_members")}
    # pahole counts virtual bases as members; ours keeps them apart.
    got["nmembers"] += t["virtual_bases"]
    return got


class LayoutTest(unittest.TestCase):
    def compare_with_pahole(self, path, skip_alerts=False, by_name=(), skip=()):
        """Every struct/class listed once by both: pahole's numbers equal ours.
        Returns (compared, skipped for pahole's own alert)."""
        ours = layout_json(path)
        theirs = pahole(path)
        for name in by_name:
            theirs.update(pahole(path, only=name))
        by_name = {}
        for t in ours["types"]:
            by_name.setdefault(t["name"], []).append(t)
        compared, alerts, bad = 0, 0, []
        for name, ts in sorted(by_name.items()):
            if len(ts) != 1 or ts[0]["kind"] == "union" or len(theirs.get(name, [])) != 1 or name in skip:
                continue
            t, p = ts[0], theirs[name][0]
            if "size" not in p:
                continue
            if p.get("alert") and skip_alerts:
                alerts += 1
                continue
            exp = expected_from(p)
            got = got_from(t)
            if exp["sum_members"] is None:
                # pahole prints "sum members" only beside holes.
                del exp["sum_members"], got["sum_members"]
            if exp != got:
                bad.append("%s: pahole %s, memtrace %s" % (name, exp, got))
            compared += 1
        self.assertEqual(bad, [])
        return compared, alerts


class Fixtures(LayoutTest):
    def test_c_types_equal_pahole(self):
        ours = layout_json(LAYOUT_C)
        structs = [t["name"] for t in ours["types"] if t["kind"] != "union"]
        compared, _ = self.compare_with_pahole(LAYOUT_C, by_name=["conn_t"])
        # Every struct of the fixture, the typedef'd anonymous one too.
        self.assertEqual(compared, len(structs))
        self.assertIn("conn_t", structs)
        self.assertEqual(len(structs), 12)

    def test_cxx_types_equal_pahole(self):
        # Multi's Mixin sits in Base's tail padding: pahole 1.24 sums that
        # overlap as a hole of -4 bytes in 16 bits (65539), and says so
        # ("BRAIN FART ALERT"); ours has no hole there, checked by hand.
        compared, _ = self.compare_with_pahole(LAYOUT_CXX, skip=["Multi"])
        self.assertEqual(compared, 7)
        multi = {t["name"]: t for t in layout_json(LAYOUT_CXX)["types"]}["Multi"]
        self.assertEqual(got_from(multi), {"size": 40, "nmembers": 5, "holes": 1, "sum_holes": 7, "bit_holes": 0,
                                           "sum_bit_holes": 0, "padding": 7, "bit_padding": 0, "sum_members": 10})
        self.assertEqual([(m["name"], m["offset"]) for m in multi["members"]][:2], [("Base", 0), ("Mixin", 12)])

    def test_lesson_32_to_16(self):
        d = layout_json(LAYOUT_C, "--type", "lesson")
        self.assertEqual(len(d["types"]), 1)
        t = d["types"][0]
        self.assertEqual((t["size"], t["align"], t["holes"], t["sum_holes"], t["padding"]), (32, 8, 2, 10, 7))
        s = t["suggestion"]
        self.assertEqual((s["size"], s["saving"], s["saving_pct"]), (16, 16, 50.0))
        self.assertEqual([(m["name"], m["offset"]) for m in s["members"]],
                         [("b", 0), ("d", 8), ("a", 12), ("c", 13), ("e", 14)])
        text = layout(LAYOUT_C, "--type", "lesson").stdout
        self.assertIn("reordered: 16 bytes, saves 16 (50.0%)", text)

    def test_kept_valid(self):
        d = {t["name"]: t for t in layout_json(LAYOUT_C)["types"]}
        flex = d["flex"]["suggestion"]
        self.assertEqual(flex["members"][-1]["name"], "data")
        self.assertEqual(flex["size"], 16)
        self.assertTrue(d["packed_rec"]["packed"])
        self.assertFalse(d["packed_rec"]["suggestion"]["reordered"])
        self.assertIn("packed", d["packed_rec"]["suggestion"]["why_not"])
        self.assertFalse(d["pack2"]["suggestion"]["reordered"])
        self.assertEqual(d["cacheline"]["suggestion"]["size"], 64)
        self.assertEqual(d["tight"]["suggestion"]["saving"], 0)
        # The bit-field run a, b moves as one, in its order.
        names = [m["name"] for m in d["bits"]["suggestion"]["members"]]
        self.assertEqual(names.index("b"), names.index("a") + 1)
        cxx = {t["name"]: t for t in layout_json(LAYOUT_CXX)["types"]}
        multi = cxx["Multi"]["suggestion"]
        self.assertEqual([m["name"] for m in multi["members"]][:2], ["Base", "Mixin"])
        self.assertEqual(multi["size"], 32)
        self.assertFalse(cxx["VirtualBase"]["suggestion"]["reordered"])

    def test_suggestions_compile(self):
        """Each suggested declaration, compiled beside the fixture: sizeof and
        every named member's offsetof are what layout says."""
        d = layout_json(LAYOUT_C)
        tmp = mt.tempdir(self)
        lines = ['#include <stddef.h>', '#define main fixture_main',
                 '#include "%s"' % os.path.join(mt.ROOT, "tests", "fixtures", "layout_fx.c")]
        checked = 0
        for t in d["types"]:
            s = t["suggestion"]
            if not s["reordered"]:
                continue
            new = t["name"] + "__mt_new"
            members = t["members"]
            body = []
            for m in s["members"]:
                mem = members[m["index"]]
                decl = mem["decl"]
                if mem["bit_size"]:
                    decl += ":%d" % mem["bit_size"]
                if mem["forced_align"]:
                    decl += " __attribute__((aligned(%d)))" % mem["align"]
                body.append("\t%s;" % decl)
            attr = " __attribute__((aligned(%d)))" % t["align"] if t["forced_align"] else ""
            if t["typedef"]:
                lines.append("typedef %s {\n%s\n}%s %s;" % (t["kind"], "\n".join(body), attr, new))
                ref = new
            else:
                lines.append("%s %s {\n%s\n}%s;" % (t["kind"], new, "\n".join(body), attr))
                ref = "%s %s" % (t["kind"], new)
            lines.append("_Static_assert(sizeof(%s) == %d, \"%s size\");" % (ref, s["size"], new))
            for m in s["members"]:
                mem = members[m["index"]]
                if mem["name"] and not mem["bit_size"]:
                    lines.append("_Static_assert(offsetof(%s, %s) == %d, \"%s.%s\");"
                                 % (ref, mem["name"], m["offset"], new, mem["name"]))
            checked += 1
        src = os.path.join(tmp, "check.c")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        proc = subprocess.run(["cc", "-std=gnu11", "-fsyntax-only", src], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertGreaterEqual(checked, 9)

    def test_filters(self):
        d = layout_json(LAYOUT_C, "--min-waste", "16")
        self.assertEqual(sorted(t["name"] for t in d["types"]), ["lesson", "mixed", "outer"])
        self.assertEqual(d["types_filtered"], d["types_read"] - 3)
        self.assertEqual(layout_json(LAYOUT_C, "--min-waste", "17")["types"], [])
        proc = layout(LAYOUT_C, "--type", "nosuch", check=False)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        proc = layout(LAYOUT_C, "--min-waste", "x", check=False)
        self.assertEqual(proc.returncode, 64)
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)


class RealPrograms(LayoutTest):
    def test_debian_libc_equals_pahole(self):
        """Debian's libc, its DWARF from libc6-dbg's build-id debug file."""
        d = layout_json(LIBC)
        if not d["debug_file"]:
            msg = "libc6-dbg is not installed (tools/setup-deps.sh test)"
            if mt.CI:
                self.fail(msg)
            self.skipTest(msg)
        compared, _ = self.compare_with_pahole(LIBC)
        self.assertGreaterEqual(compared, 400)

    def test_memtrace_itself_equals_pahole(self):
        """memtrace: a C program of ~100 files with libbpf's, libelf's and zlib's types."""
        compared, _ = self.compare_with_pahole(mt.MEMTRACE)
        self.assertGreaterEqual(compared, 150)

    def test_go_binary(self):
        if not shutil.which("go"):
            if mt.CI:
                self.fail("go is missing (tools/setup-deps.sh test)")
            self.skipTest("go is missing")
        tmp = mt.tempdir(self)
        out = os.path.join(tmp, "layout_go")
        env = dict(os.environ, GOCACHE="/tmp/memtrace-gocache", HOME=os.environ.get("HOME", "/tmp"),
                   GO111MODULE="off", CGO_ENABLED="0")
        subprocess.run(["go", "build", "-o", out, os.path.join(mt.ROOT, "tests", "fixtures", "layout_go", "main.go")],
                       env=env, check=True, capture_output=True, timeout=600)
        d = {t["name"]: t for t in layout_json(out)["types"]}
        lesson = d["main.Lesson"]
        self.assertEqual((lesson["size"], lesson["suggestion"]["size"]), (32, 16))
        self.assertEqual(d["main.Tight"]["suggestion"]["saving"], 0)
        # pahole 1.24 misreads Go's func-typed members (its own check,
        # "BRAIN FART ALERT", fails on them): those types are left out.
        compared, alerts = self.compare_with_pahole(out, skip_alerts=True)
        self.assertGreaterEqual(compared, 300)
        self.assertLess(alerts, compared // 10)


class HeapProfile(unittest.TestCase):
    """workload_layout allocates N padded orders (one in four freed) and one
    calloc'd array of 64; layout --profile must rank struct order first with
    the exact saving, and the reordered build's real heap must shrink by it."""
    N = 100000

    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls)
        cls.binary = mt.tool("workload_layout")
        cls.rec = os.path.join(cls.tmp, "orig.mtrec")
        cls.rec_new = os.path.join(cls.tmp, "reordered.mtrec")
        cls.live = os.path.join(cls.tmp, "orig.json")
        cls.live_new = os.path.join(cls.tmp, "reordered.json")
        for rec, live, tool in ((cls.rec, cls.live, "workload_layout"),
                                (cls.rec_new, cls.live_new, "workload_layout_reordered")):
            proc = subprocess.run([mt.MEMTRACE, "-q", "--record", rec, "--json", live, "--", mt.tool(tool), str(cls.N)],
                                  capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                raise AssertionError("memtrace %s: rc=%d\n%s" % (tool, proc.returncode, proc.stderr))

    def check_ranking(self, profile):
        d = layout_json(self.binary, "--profile", profile)
        first = d["types"][0]
        self.assertEqual(first["name"], "order")
        self.assertEqual((first["size"], first["suggestion"]["size"]), (32, 16))
        live = self.N - (self.N + 3) // 4 + 64
        heap = first["heap"]
        self.assertEqual(heap["live_count"], live)
        self.assertEqual(heap["live_bytes"], live * 32)
        self.assertEqual(heap["live_saving"], live * (32 - 16))
        self.assertEqual(heap["live_bytes_after"], live * 16)
        self.assertEqual(heap["alloc_count"], self.N + 64)
        self.assertEqual(heap["alloc_saving"], (self.N + 64) * 16)
        self.assertEqual(heap["sites"], 2)
        # new_order's malloc(sizeof *o) and calloc(64, sizeof(struct order)): both from the call's DWARF.
        self.assertEqual((heap["match"], heap["confidence"]), ("call-site", "high"))
        p = d["profile"]
        self.assertEqual(p["sites"], p["sites_matched"] + p["sites_ambiguous"] + p["sites_unmatched"]
                         + p["sites_other_binary"])
        return heap

    def test_ranks_order_first_with_exact_saving(self):
        heap = self.check_ranking(self.rec)
        # The second build, reordered as suggested: its live heap is smaller by exactly that.
        before = mt.load_json(self.live)["totals"]["inuse_bytes"]
        after = mt.load_json(self.live_new)["totals"]["inuse_bytes"]
        self.assertEqual(before - after, heap["live_saving"])
        text = layout(self.binary, "--profile", self.rec).stdout
        self.assertIn("heap: %d live (%d bytes) would save %d bytes" % (heap["live_count"], heap["live_bytes"],
                                                                      heap["live_saving"]), text)

    def test_pprof_profile(self):
        pb = os.path.join(self.tmp, "orig.pb.gz")
        subprocess.run([mt.MEMTRACE, "report", self.rec, "-o", pb], check=True, capture_output=True, timeout=120)
        self.check_ranking(pb)

    def test_other_build_refused(self):
        proc = layout(mt.tool("workload_layout_reordered"), "--profile", self.rec, check=False)
        self.assertEqual(proc.returncode, 1)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn("build-id", lines[0])


class LiveSection(unittest.TestCase):
    """memtrace --layout: a "layout savings" section in the JSON, text and HTML reports."""
    N = 100000

    def expect(self, ls):
        live = self.N - (self.N + 3) // 4 + 64
        first = ls["types"][0]
        self.assertEqual((first["type"], first["size"], first["new_size"]), ("struct order", 32, 16))
        self.assertEqual(first["live_count"], live)
        self.assertEqual(first["live_saving"], live * 16)
        self.assertEqual(first["live_bytes_after"], live * 16)
        self.assertEqual(first["alloc_count"], self.N + 64)
        self.assertEqual((first["match"], first["confidence"]), ("call-site", "high"))
        self.assertEqual(first["object"], mt.tool("workload_layout"))
        self.assertEqual(ls["live_saving"], live * 16)

    def test_command(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        js, html, txt = (os.path.join(tmp, "r" + ext) for ext in (".json", ".html", ".txt"))
        proc = subprocess.run([mt.MEMTRACE, "-q", "--layout", "--json", js, "-o", html, "-o", txt, "--",
                               mt.tool("workload_layout"), str(self.N)], capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.expect(mt.load_json(js)["layout_savings"])
        text = mt.read_text(txt)
        self.assertIn("layout savings: ", text)
        self.assertIn("struct order (32 -> 16 bytes): %d live" % (self.N - (self.N + 3) // 4 + 64), text)
        page = mt.read_text(html)
        self.assertIn('id="layout-table"', page)
        self.assertIn("<td>struct order</td>", page)

    def test_attached(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        wl = subprocess.Popen([mt.tool("workload_layout"), str(self.N), "wait"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(wl.stdout.readline().strip(), "ready")
            err_path, js = os.path.join(tmp, "err"), os.path.join(tmp, "r.json")
            with open(err_path, "w") as err:
                m = subprocess.Popen([mt.MEMTRACE, "-q", "--layout", "--json", js, "-p", str(wl.pid)],
                                     stdout=subprocess.DEVNULL, stderr=err)
            self.assertTrue(mt.wait_for_line(err_path, "Tracing PID %d" % wl.pid), mt.read_text(err_path))
            wl.stdin.write("go\n")
            wl.stdin.flush()
            wl.stdout.readline()
            self.assertEqual(wl.stdout.readline().strip(), "done")
            wl.stdin.write("exit\n")
            wl.stdin.flush()
            wl.wait(timeout=10)
            self.assertEqual(m.wait(timeout=60), 0, mt.read_text(err_path))
        finally:
            if wl.poll() is None:
                wl.kill()
        self.expect(mt.load_json(js)["layout_savings"])

    def test_several_pids_refused(self):
        proc = subprocess.run([mt.MEMTRACE, "--layout", "-p", "%d,%d" % (os.getpid(), os.getppid())],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 64, proc.stderr)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn("--layout takes one -p PID", lines[0])

    def test_not_asked(self):
        """Without --layout the JSON has no section and the page says how to get one."""
        mt.require_bpf(self)
        html = os.path.join(mt.tempdir(self), "r.html")
        rep = mt.run(["-o", html], [mt.tool("workload_layout"), "1000"]).report
        self.assertNotIn("layout_savings", rep)
        self.assertIn("<p>Not asked for (<code>--layout</code>).</p>", mt.read_text(html))


class HostileFiles(unittest.TestCase):
    def one_line_error(self, path):
        proc = layout(path, check=False)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("memtrace: layout: "), lines[0])
        return lines[0]

    def test_no_dwarf(self):
        stripped = os.path.join(mt.tempdir(self), "stripped")
        subprocess.run(["strip", "-s", LAYOUT_C, "-o", stripped], check=True)
        line = self.one_line_error(stripped)
        self.assertIn("no DWARF", line)

    def test_fifo_and_missing(self):
        tmp = mt.tempdir(self)
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        self.one_line_error(fifo)
        self.one_line_error(os.path.join(tmp, "missing"))

    def check_outcome(self, path):
        """A result with its summary, or one error line: nothing else."""
        proc = layout(path, check=False)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        if proc.returncode == 0:
            self.assertIn(" types read, ", proc.stdout)
        else:
            self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
            self.assertTrue(proc.stderr.startswith("memtrace: layout: "), proc.stderr)

    def test_truncated_and_corrupted(self):
        """Truncations and byte flips of a -g binary: never a crash or a hang."""
        tmp = mt.tempdir(self)
        with open(LAYOUT_C, "rb") as f:
            data = f.read()
        for i, cut in enumerate(range(64, len(data), max(1, len(data) // 23))):
            path = os.path.join(tmp, "cut%d" % i)
            with open(path, "wb") as f:
                f.write(data[:cut])
            self.check_outcome(path)
        for i in range(40):
            buf = bytearray(data)
            for k in range(64):
                pos = (i * 7919 + k * 104729) % len(buf)
                buf[pos] ^= 0x5a
            path = os.path.join(tmp, "flip%d" % i)
            with open(path, "wb") as f:
                f.write(buf)
            self.check_outcome(path)


if __name__ == "__main__":
    unittest.main()
