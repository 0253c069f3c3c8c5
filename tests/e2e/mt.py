"""Helpers for memtrace's end-to-end tests: run the real binary under real
BPF against real workloads and read its JSON report."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
MEMTRACE = os.environ.get("MT_BIN") or os.path.join(BUILD, "memtrace")
TOOLS = os.path.join(BUILD, "tools")
CI = os.environ.get("CI") == "true"


def tool(name):
    return os.path.join(TOOLS, name)


def bpf_usable():
    """Why end-to-end tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "not root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "kernel has no BTF"
    if not os.path.exists(MEMTRACE):
        return "build/memtrace is not built"
    return None


def require_bpf(test):
    why = bpf_usable()
    if why:
        if CI:
            raise AssertionError("end-to-end tests cannot run under CI: " + why)
        raise unittest.SkipTest(why)


def tempdir(test, prefix="mt-e2e-"):
    """A temporary directory, removed when the test is done (given a test
    class, as in setUpClass: when the class is)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    if isinstance(test, type):
        test.addClassCleanup(shutil.rmtree, tmp, True)
    else:
        test.addCleanup(shutil.rmtree, tmp, True)
    return tmp


class Run:
    def __init__(self, proc, report, stderr, stdout):
        self.returncode = proc.returncode
        self.report = report
        self.stderr = stderr
        self.stdout = stdout


def run(args, cmd=None, timeout=120, check=True, extra_files=(), env=None):
    """Runs memtrace ARGS [-- CMD] with --json to a temp file; env adds to
    the environment."""
    tmp = tempfile.mkdtemp(prefix="mt-e2e-")
    try:
        out = os.path.join(tmp, "report.json")
        full = [MEMTRACE, "-q", "--json", out] + list(args)
        if cmd:
            full += ["--"] + list(cmd)
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, **env) if env else None)
        report = None
        if os.path.exists(out):
            with open(out) as f:
                report = json.load(f)
        if check and report is None:
            raise AssertionError("memtrace wrote no report: rc=%d\n%s" % (proc.returncode, proc.stderr))
        return Run(proc, report, proc.stderr, proc.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def by_function(report, name, depth=0):
    """Sums the sites whose frame at `depth` is function `name`."""
    agg = {"alloc_count": 0, "alloc_bytes": 0, "inuse_count": 0, "inuse_bytes": 0, "sites": 0}
    for s in report["sites"]:
        frames = s["frames"]
        if len(frames) > depth and frames[depth]["function"] == name:
            for k in ("alloc_count", "alloc_bytes", "inuse_count", "inuse_bytes"):
                agg[k] += s[k]
            agg["sites"] += 1
    return agg


def load_json(path):
    with open(path) as f:
        return json.load(f)


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def read_text(path):
    with open(path) as f:
        return f.read()


def wait_for_line(stream_path, needle, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(stream_path) as f:
                if needle in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


# C for a test program that copies its own /proc/self/maps to a file (the
# oracle of which addresses were code): copy_maps(path), path NULL for none.
C_COPY_MAPS = r"""
#include <stdio.h>

static void copy_maps(const char *path)
{
	char line[512];
	FILE *in = fopen("/proc/self/maps", "r"), *out = path ? fopen(path, "w") : NULL;

	while (in && out && fgets(line, sizeof(line), in))
		fputs(line, out);
	if (out)
		fclose(out);
	if (in)
		fclose(in);
}
"""


def build_c(test, name, source, flags=("-O2", "-g")):
    """Writes source to NAME.c in test.tmp (made with tempdir when the test
    or class has none yet) and builds the executable NAME beside it with gcc
    FLAGS; returns its path."""
    if not getattr(test, "tmp", None):
        test.tmp = tempdir(test)
    src = os.path.join(test.tmp, name + ".c")
    with open(src, "w") as f:
        f.write(source)
    exe = os.path.join(test.tmp, name)
    subprocess.run(["gcc"] + list(flags) + [src, "-o", exe], check=True)
    return exe


def require_built(exe, why, what="a Go program", package="golang-go"):
    """exe when a test program could be built; else the test cannot run:
    under CI a failure (the package is one tools/setup-deps.sh installs),
    elsewhere a skip saying why."""
    if exe:
        return exe
    if CI:
        raise AssertionError("cannot build %s (tools/setup-deps.sh installs %s): %s" % (what, package, why))
    raise unittest.SkipTest("cannot build %s: %s" % (what, why))
