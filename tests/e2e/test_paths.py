"""Long paths: a library whose path is longer than 256 characters (the old
fixed buffers of procmaps, resolve and gc) keeps its module path and its
symbols in the report."""
import os
import shutil
import subprocess
import unittest

import mt


class LongPath(unittest.TestCase):
    def test_library_at_a_300_character_path_is_symbolized(self):
        mt.require_bpf(self)
        tmp = mt.tempdir(self)
        d = tmp
        while len(d) < 300:
            d = os.path.join(d, "a-directory-with-a-rather-long-name")
        os.makedirs(d)
        plugin = os.path.join(d, "libmtplugin.so")
        shutil.copy(mt.tool("libmtplugin.so"), plugin)
        self.assertGreater(len(plugin), 300)
        out_json = os.path.join(tmp, "r.json")
        # workload_attach waits for "go" then "exit" on stdin: both are there already.
        proc = subprocess.run([mt.MEMTRACE, "-q", "--json", out_json, "--", mt.tool("workload_attach"), plugin],
                              input="go\nexit\n", capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        rep = mt.load_json(out_json)
        p = mt.by_function(rep, "plugin_alloc")
        self.assertEqual((p["alloc_count"], p["inuse_bytes"]), (7, 28000))
        site = next(s for s in rep["sites"] if s["frames"] and s["frames"][0]["function"] == "plugin_alloc")
        self.assertEqual(site["frames"][0]["module"], plugin)


if __name__ == "__main__":
    unittest.main()
