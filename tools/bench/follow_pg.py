#!/usr/bin/env python3
"""postgres 15 under memtrace --follow -p POSTMASTER with palloc/pfree
probed, against untraced, side by side (issue 23): each round runs
`pgbench -C -S -c 1 -t TX` (a new backend per transaction) once untraced
and once while each memtrace variant follows the postmaster, alternating
the order, and prints pgbench's average connection time and latency.

The cluster is created by initdb as USER (a user of this name is created
for the run and removed after; postgres refuses root) in a temporary
directory, listening on a Unix socket there only.

  tools/bench/follow_pg.py [--rounds 5] [--tx 20] [--user mt-bench]
                           [--memtrace BIN ...] [--keep-user] [--libc]

With --libc, palloc/pfree are not probed: memtrace's own allocator probes
(libc's) only, which postgres' backends call far less.
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PGBIN = "/usr/lib/postgresql/15/bin"
PORT = "54329"
PROBES = ["--alloc", "palloc:size=arg1", "--free", "pfree:ptr=arg1"]


def as_user(user, cmd, **kw):
    return subprocess.run(["runuser", "-u", user, "--"] + cmd, check=True, capture_output=True, text=True, **kw)


def pgbench(sock, user, tx):
    p = subprocess.run(["pgbench", "-h", sock, "-p", PORT, "-U", user, "-n", "-C", "-S", "-c", "1", "-t", str(tx),
                        "postgres"], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError("pgbench: %s" % p.stderr[-2000:])
    out = p.stdout
    conn = float(re.search(r"average connection time = ([\d.]+) ms", out).group(1))
    lat = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return conn, lat


def postmaster_pid(data):
    with open(os.path.join(data, "postmaster.pid")) as f:
        return int(f.readline())


def traced(binary, pid, sock, user, tx, out, probes):
    err = os.path.join(out, "stderr")
    with open(err, "w") as e:
        m = subprocess.Popen([binary, "-q", "--no-faults", "--follow"] + probes +
                             ["--json", os.path.join(out, "r.json"), "-p", str(pid)], stderr=e,
                             stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "Tracing PID %d" % pid not in open(err).read():
        time.sleep(0.05)
    try:
        res = pgbench(sock, user, tx)
        time.sleep(0.5)  # the last backend's exit
    finally:
        m.send_signal(signal.SIGINT)
        rc = m.wait(timeout=120)
    text = open(err).read()
    names = [n for n in os.listdir(out) if n.endswith(".json")]
    for n in os.listdir(out):
        os.unlink(os.path.join(out, n))
    tracing = len(re.findall(r"(?m)^Tracing PID \d+ .*%s" % ("palloc/pfree in postgres" if probes else "libc"), text))
    return res, rc, len(names), tracing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tx", type=int, default=20)
    ap.add_argument("--user", default="mt-bench")
    ap.add_argument("--memtrace", action="append")
    ap.add_argument("--keep-user", action="store_true")
    ap.add_argument("--libc", action="store_true", help="probe libc's allocator only, not palloc/pfree")
    a = ap.parse_args()
    bins = a.memtrace or [os.path.join(ROOT, "build", "memtrace")]
    created = subprocess.run(["id", a.user], capture_output=True).returncode != 0
    if created:
        subprocess.run(["useradd", "--system", "--no-create-home", a.user], check=True)
    tmp = tempfile.mkdtemp(prefix="follow-pg-")
    os.chmod(tmp, 0o755)
    data, sock, out = os.path.join(tmp, "data"), os.path.join(tmp, "sock"), os.path.join(tmp, "out")
    for d in (data, sock):
        os.mkdir(d)
        shutil.chown(d, a.user)
    os.mkdir(out)
    pg = None
    try:
        as_user(a.user, [PGBIN + "/initdb", "-A", "trust", "-U", a.user, "-D", data])
        pg = subprocess.Popen(["runuser", "-u", a.user, "--", PGBIN + "/postgres", "-D", data, "-k", sock,
                               "-p", PORT, "-c", "listen_addresses="], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(os.path.join(data, "postmaster.pid")) and \
                    subprocess.run(["pg_isready", "-h", sock, "-p", PORT], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        pid = postmaster_pid(data)
        subprocess.run(["pgbench", "-h", sock, "-p", PORT, "-U", a.user, "-i", "-s", "1", "postgres"], check=True,
                       capture_output=True)
        names = ["untraced"] + ["traced%d" % i for i in range(len(bins))]
        conn = {n: [] for n in names}
        print("load %.1f; postgres %d; pgbench -C -S -c 1 -t %d" % (os.getloadavg()[0], pid, a.tx))
        for r in range(a.rounds):
            line = "round %d:" % r
            for n in names[r % len(names):] + names[:r % len(names)]:
                if n == "untraced":
                    (c, lat), extra = pgbench(sock, a.user, a.tx), ""
                else:
                    (c, lat), rc, nrep, tracing = traced(bins[int(n[6:])], pid, sock, a.user, a.tx, out,
                                                            [] if a.libc else PROBES)
                    extra = " rc %d, %d reports, %d Tracing lines naming %s" % (rc, nrep, tracing,
                                                                               "libc" if a.libc else "palloc/pfree")
                conn[n].append(c)
                line += " %s conn %.1f ms lat %.1f ms%s;" % (n, c, lat, extra)
            print(line + " (load %.1f)" % os.getloadavg()[0], flush=True)
        for n in names[1:]:
            ratios = [t / u for t, u in zip(conn[n], conn["untraced"])]
            print("%s (%s): connection median %.1f ms against %.1f ms untraced; ratio median %.2f (%.2f-%.2f)" %
                  (n, bins[int(n[6:])], statistics.median(conn[n]), statistics.median(conn["untraced"]),
                   statistics.median(ratios), min(ratios), max(ratios)))
    finally:
        if pg:
            # Fast shutdown, sent to the postmaster (runuser does not pass it on).
            try:
                os.kill(postmaster_pid(data), signal.SIGINT)
            except (OSError, ValueError):
                pg.send_signal(signal.SIGINT)
            try:
                pg.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(postmaster_pid(data), signal.SIGQUIT)
                pg.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
        if created and not a.keep_user:
            subprocess.run(["userdel", a.user], check=False)


if __name__ == "__main__":
    main()
