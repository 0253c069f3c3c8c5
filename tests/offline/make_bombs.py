#!/usr/bin/env python3
"""Decompression bombs for the offline readers (security issue, untrusted
sizes): files of a few MB that claim, or inflate to, far more than they
should.  Usage: make_bombs.py OUTDIR [--seeds] [--mib N]

  bomb.mtrec   a recording whose header claims a 2 GiB body (within
               deflate's own 1032:1 limit of its ~2 MB of zlib data, checksums
               right): the body is zeros, which parse as empty sections
  liar.mtrec   the same zeros, but the header claims 1 MiB: inflating must
               stop at the claim, not run through 2 GiB
  bomb.pb.gz   a gzip member of ~1 GiB of zeros (~1 MB), ISIZE truthful
  liar.pb.gz   the same member with ISIZE rewritten to 1 KiB
--mib N scales them down: the recording claims N MiB and the gzip member
inflates to N MiB (defaults 2048 and 1024, the sizes the issue measured).
With --seeds, each is also written as a fuzz_record seed ("file" mode,
a leading zero byte) for the recordings."""
import os
import struct
import sys
import zlib

CHUNK = 1 << 24


def deflate_zeros(total, wbits):
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zero = bytes(CHUNK)
    out = []
    left = total
    while left:
        n = min(left, CHUNK)
        out.append(c.compress(zero[:n]))
        left -= n
    out.append(c.flush())
    return b"".join(out)


def recording(body_z, claimed_ulen):
    h = bytearray(36)
    h[0:8] = b"MTREC\x1a\x01\x00"
    struct.pack_into("<IQQ", h, 12, zlib.crc32(body_z), len(body_z), claimed_ulen)
    struct.pack_into("<I", h, 32, zlib.crc32(bytes(h[:32])))
    return bytes(h) + body_z


def main():
    out = sys.argv[1]
    seeds = "--seeds" in sys.argv[2:]
    mib = None
    if "--mib" in sys.argv[2:]:
        mib = int(sys.argv[sys.argv.index("--mib") + 1])
    os.makedirs(out, exist_ok=True)
    ulen = (mib << 20) if mib else 1 << 31
    z = deflate_zeros(ulen, 15)
    files = {
        "bomb.mtrec": recording(z, ulen),
        "liar.mtrec": recording(z, 1 << 20),
    }
    g = deflate_zeros((mib << 20) if mib else 1 << 30, 31)
    files["bomb.pb.gz"] = g
    files["liar.pb.gz"] = g[:-4] + struct.pack("<I", 1024)
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        if seeds and name.endswith(".mtrec"):
            with open(os.path.join(out, "seed-" + name), "wb") as f:
                f.write(b"\0" + data)


if __name__ == "__main__":
    main()
