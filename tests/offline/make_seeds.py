#!/usr/bin/env python3
"""Seeds for fuzz_record from recordings: each file as is (mode byte 0) and its
uncompressed body (mode byte 1).  Usage: make_seeds.py OUTDIR FILE.mtrec..."""
import os
import sys
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for i, path in enumerate(sys.argv[2:]):
    data = open(path, "rb").read()
    open(os.path.join(out, "file%d" % i), "wb").write(b"\0" + data)
    open(os.path.join(out, "body%d" % i), "wb").write(b"\1" + zlib.decompress(data[36:]))
