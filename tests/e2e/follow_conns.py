"""Connections to tools/fork_server opened together (a burst of forks) and
their answers read back, for the --follow tests."""
import re
import socket
import time

import mt

from test_follow_tree import read_to_eof


def connect_all(port, n, socks):
    """Opens n connections, the i-th sending 10 + i, each appended to socks
    as soon as it is open (so the caller's cleanup closes what was)."""
    for i in range(n):
        c = socket.create_connection(("127.0.0.1", port), timeout=60)
        c.sendall(b"%d\n" % (10 + i))
        socks.append(c)


def held_ms(socks, poke=b""):
    """Each connection's answer to EOF, checked ("ok 10+i held_us"), after
    sending it poke when given: the ms each child was held at its fork."""
    held = []
    for i, c in enumerate(socks):
        if poke:
            c.sendall(poke)
        data = read_to_eof(c)
        got = data.decode().split()
        if len(got) != 3 or got[:2] != ["ok", str(10 + i)]:
            raise AssertionError("bad answer %r" % data)
        held.append(int(got[2]) / 1e3)
    return held


def wait_probed(err, n, timeout=60):
    """The PIDs memtrace's stderr file err says it probed ("--follow: PID N
    held ... ms to probe it"), once there are n or timeout s went by."""
    deadline = time.monotonic() + timeout
    probed = set()
    while time.monotonic() < deadline and len(probed) < n:
        probed = set(re.findall(r"--follow: PID (\d+) held [\d.]+ ms to probe it", mt.read_text(err)))
        time.sleep(0.05)
    return probed
