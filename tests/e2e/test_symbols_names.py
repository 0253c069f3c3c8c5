"""Demangled names (issue 15): C++ templates and Rust v0 through libiberty,
full in JSON, short (templates and argument lists elided) in the text report
and the flame graph with --names short; binutils' c++filt is the C++ oracle."""
import os
import re
import subprocess
import unittest

import mt

TEMPLATES = mt.tool("workload_templates")
RUST = mt.tool("workload_rust")


def demangled_symbols(binary):
    """Every function symbol of binary, demangled by c++filt."""
    nm = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout
    names = [l.split()[2] for l in nm.splitlines() if len(l.split()) == 3 and l.split()[1] in "tTwW"]
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True).stdout
    return set(out.splitlines())


class CxxNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        cls.tmp = mt.tempdir(cls)
        cls.svg = os.path.join(cls.tmp, "t.svg")
        cls.res = mt.run(["--no-faults", "--names", "short", "--metric", "alloc_space", "-o", cls.svg], [TEMPLATES])
        cls.report = cls.res.report

    def test_json_names_are_full_and_match_cxxfilt(self):
        known = demangled_symbols(TEMPLATES)
        ours = {f["function"] for s in self.report["sites"] for f in s["frames"]
                if f["module"] == TEMPLATES and f["function"] and not f["inlined"]}
        self.assertIn("shapes::Grid<double, 64ul>* shapes::make_grid<double, 64ul>(std::__cxx11::basic_string<char, "
                      "std::char_traits<char>, std::allocator<char> > const&)", ours)
        self.assertEqual(ours - known, set(), "names c++filt does not give for this binary's symbols")
        counts = {}
        for s in self.report["sites"]:
            f = s["frames"][0]
            if f["function"] and "make_grid<" in f["function"]:
                counts[f["function"].split("*")[0]] = s["alloc_count"]
        self.assertEqual(counts, {"shapes::Grid<double, 64ul>": 30, "shapes::Grid<int, 16ul>": 20})

    def test_short_names_in_text_and_svg(self):
        text = self.res.stderr
        self.assertIn("        shapes::make_grid at workload_templates.cc:", text)
        self.assertRegex(text, r"(?m)^        std::_Rb_tree::_M_emplace_hint_unique at stl_tree\.h:\d+$")
        self.assertNotIn("make_grid<", text)
        with open(self.svg) as f:
            svg = f.read()
        self.assertIn("<title>shapes::make_grid\n", svg)
        self.assertNotIn("make_grid&lt;", svg)


    def test_report_from_recording_short_names_and_lines(self):
        # Recordings keep full names and lines; report shortens them as the live run does.
        tmp = mt.tempdir(self)
        rec, folded = os.path.join(tmp, "t.mtrec"), os.path.join(tmp, "t.folded")
        mt.run(["--no-faults", "--record", rec], [TEMPLATES])
        p = subprocess.run([mt.MEMTRACE, "report", rec, "--names", "short", "--lines", "--metric", "alloc_space",
                            "-o", folded], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(folded) as f:
            text = f.read()
        self.assertRegex(text, r"(?m);main \(workload_templates\.cc:\d+\);shapes::make_grid \(workload_templates\.cc:\d+\) ")
        self.assertNotIn("make_grid<", text)


class RustNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mt.require_bpf(cls)
        if not os.path.exists(RUST):
            raise unittest.SkipTest("rustc is not installed (tools/setup-deps.sh test installs it)")
        cls.report = mt.run(["--no-faults"], [RUST, "50"]).report

    def test_v0_and_legacy_names_demangled(self):
        names = [f["function"] for s in self.report["sites"] for f in s["frames"]
                 if f["module"] == RUST and f["function"]]
        self.assertTrue(names)
        raw = [n for n in names if re.match(r"_R|_ZN", n)]
        self.assertEqual(raw, [], "mangled names left")
        hashed = [n for n in names if re.search(r"::h[0-9a-f]{16}$", n)]
        self.assertEqual(hashed, [], "legacy hashes left")
        self.assertIn("workload_rust::make_record", names)
        self.assertIn("workload_rust::make_records", names)
        # The 50 records' names (format!) and values (Vec::with_capacity) come from make_record.
        per_record = [s for s in self.report["sites"] if s["alloc_count"] == 50 and
                      "workload_rust::make_record" in [f["function"] for f in s["frames"]]]
        self.assertGreaterEqual(len(per_record), 2, self.report["sites"])


if __name__ == "__main__":
    unittest.main()
