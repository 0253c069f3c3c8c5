"""A cache service in Python (Debian's python3, built without frame
pointers): 50,000 entries of 600 bytes (allocated by malloc, not pymalloc),
"ready", then each entry overwritten in turn at about 500 a second for
argv[1] seconds; RSS stays flat.  Used by the pre-attach leak tests."""
import os
import sys
import time

N = 50000
cache = {i: os.urandom(600) for i in range(N)}
print("ready", flush=True)
i = 0
start = time.monotonic()
while time.monotonic() - start < float(sys.argv[1]):
    for _ in range(50):
        cache[i % N] = os.urandom(600)
        i += 1
    time.sleep(0.1)
