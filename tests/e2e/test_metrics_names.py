"""--metrics names a site by the first frame outside known allocator
wrappers (user/model/alloc_wrapper.c).  QA on Debian's redis-server: the
`function` label was zmalloc for most sites, which then differed only by
their hash.  The scrape still passes promtool."""
import os
import shutil
import subprocess
import time
import unittest

import mt
from test_metrics import free_port, parse, promtool, scrape

REDIS = shutil.which("redis-server")
WRAPPERS = {"zmalloc", "zcalloc", "zrealloc", "zmalloc_usable", "zcalloc_usable", "zrealloc_usable",
            "ztrymalloc_usable", "ztrycalloc_usable", "ztryrealloc_usable", "ztrymalloc_usable_internal",
            "ztrycalloc_usable_internal", "ztryrealloc_usable_internal", "zstrdup"}


@unittest.skipUnless(REDIS and shutil.which("redis-benchmark"), "redis-server and redis-tools are not installed")
class RedisSiteNames(unittest.TestCase):
    def setUp(self):
        mt.require_bpf(self)

    def test_redis_sites_are_named_past_zmalloc(self):
        tmp = mt.tempdir(self)
        port, mport = free_port(), free_port()
        p = subprocess.Popen([mt.MEMTRACE, "-q", "--json", os.path.join(tmp, "r.json"), "--metrics",
                              "127.0.0.1:%d" % mport, "--metrics-top", "30", "-i", "0.2", "--",
                              REDIS, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", tmp],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 60
            while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                                 text=True).stdout.strip() != "PONG":
                self.assertLess(time.time(), deadline, "redis did not start")
                time.sleep(0.2)
            subprocess.run(["redis-benchmark", "-p", str(port), "-n", "3000", "-q", "-t", "set,lpush,sadd,hset",
                            "-r", "1000"], capture_output=True, timeout=120, check=True)
            time.sleep(1)
            _, text = scrape(port=mport, deadline=time.time() + 30)
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
            _, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        check = promtool(text)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        sites = [l for n, l, _ in parse(text) if n == "memtrace_site_inuse_bytes"]
        self.assertGreaterEqual(len(sites), 10, text[-2000:])
        names = [l["function"] for l in sites]
        wrapped = [n for n in names if n in WRAPPERS]
        self.assertEqual(wrapped, [], names)
        # Distinct sites get distinct names, mostly (one function may allocate at several places).
        self.assertGreater(len(set(names)), len(names) // 2, names)
        self.assertIn("_sdsnewlen", names)  # redis 7: sdsnewlen is _sdsnewlen


if __name__ == "__main__":
    unittest.main()
