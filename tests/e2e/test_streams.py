"""The traced command owns stdout: a command run under memtrace writes its
own bytes there, piped into whatever reads them, and memtrace adds none.
memtrace's text goes to stderr, --log-file or -o NAME.txt; "-" (stdout) is
an output only when no command shares it."""
import hashlib
import json
import os
import subprocess
import time
import unittest

import mt

USAGE = 64


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class CommandOwnsStdout(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)
        self.tmp = mt.tempdir(self)

    def test_binary_stream_through_a_pipe_is_unchanged(self):
        # Debian's gzip and xz, built without frame pointers: compressed bytes
        # on stdout, decompressed by the reader, compared by checksum.
        src = os.path.join(self.tmp, "f")
        with open(src, "wb") as f:
            f.write(os.urandom(1 << 20) + b"memtrace " * 100000)
        for comp, decomp in ((["gzip", "-c"], ["gunzip"]), (["xz", "-T1", "-c"], ["xz", "-d"])):
            with self.subTest(comp[0]):
                report = os.path.join(self.tmp, comp[0] + ".json")
                back = os.path.join(self.tmp, comp[0] + ".out")
                with open(back, "wb") as out:
                    mtp = subprocess.Popen([mt.MEMTRACE, "-q", "--json", report, "--"] + comp + [src],
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    dec = subprocess.Popen(decomp, stdin=mtp.stdout, stdout=out, stderr=subprocess.PIPE)
                    self.addCleanup(dec.stderr.close)
                    mtp.stdout.close()
                    _, derr = dec.communicate(timeout=120)
                    merr = mtp.stderr.read().decode()
                    mtp.stderr.close()
                    mtp.wait(timeout=120)
                self.assertEqual(mtp.returncode, 0, merr)
                self.assertEqual(dec.returncode, 0, derr.decode() + merr)
                self.assertEqual(sha256(back), sha256(src))
                # The text report went to stderr, and the JSON to its file.
                self.assertIn("memtrace report: PID", merr)
                self.assertEqual(mt.load_json(report)["command"], comp[0])
        # xz allocates its dictionary on the heap: the report is not empty.
        self.assertGreater(mt.load_json(os.path.join(self.tmp, "xz.json"))["totals"]["alloc_bytes"], 1 << 20)

    def test_stdout_as_an_output_is_refused_with_a_command(self):
        for args, opt in ((["--json", "-"], "--json"), (["-o", "-"], "-o"), (["--log-file", "-"], "--log-file"),
                          (["--record", "-"], "--record"), (["--gc-svg", "-"], "--gc-svg")):
            with self.subTest(opt):
                p = subprocess.run([mt.MEMTRACE, "-q"] + args + ["--", "echo", "hi"],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, USAGE, p.stderr)
                self.assertEqual(p.stdout, "")
                lines = p.stderr.splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertRegex(lines[0], r"^memtrace: %s -: stdout belongs to the traced command \(" % opt)

    def test_command_output_is_all_of_stdout(self):
        # The command's text and nothing else; the report to --log-file and -o .txt.
        log = os.path.join(self.tmp, "memtrace.log")
        txt = os.path.join(self.tmp, "report.txt")
        p = subprocess.run([mt.MEMTRACE, "-i", "0.2", "--top", "3", "--log-file", log, "-o", txt, "--",
                            "sh", "-c", "sleep 0.7; " + mt.tool("workload_exact") + " 4 >/dev/null; echo done"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "done\n")
        self.assertNotIn("memtrace report:", p.stderr)
        text = mt.read_text(txt)
        self.assertRegex(text, r"^memtrace report: PID \d+ \(sh\)")
        logged = mt.read_text(log)
        # The live view (every 0.2 s) then the same final report as the .txt.
        self.assertRegex(logged.split("memtrace report:")[0], r"in use")
        self.assertTrue(logged.endswith(text), logged[-500:])
        self.assertEqual(oct(os.stat(txt).st_mode & 0o777), "0o600")


class PidLeavesStdoutFree(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)

    def test_json_on_stdout_is_the_only_thing_there(self):
        wl = subprocess.Popen([mt.tool("workload_service"), "--seconds", "6"], stdout=subprocess.DEVNULL)
        self.addCleanup(wl.wait)
        self.addCleanup(wl.kill)
        time.sleep(0.5)
        p = subprocess.run([mt.MEMTRACE, "-q", "--json", "-", "-p", str(wl.pid), "-d", "1.5"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = json.loads(p.stdout)  # the whole of stdout is one JSON document
        self.assertEqual(rep["pid"], wl.pid)
        self.assertGreater(rep["totals"]["alloc_count"], 0)
        self.assertIn("memtrace report: PID %d" % wl.pid, p.stderr)


if __name__ == "__main__":
    unittest.main()
