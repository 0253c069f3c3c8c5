#!/usr/bin/env python3
"""Writes a small Go 1.18-layout .gopclntab (two functions, one file, line
tables) as a fuzz seed for go_pclntab.c: the same table that
tests/unit/symbols/test_go_pclntab.c builds and checks."""
import struct
import sys


def table():
    names = b"main.a\0main.b\0"
    files = b"/src/a.go\0"
    # pctab: offset 0 is "no table"; pcfile (value 0 for 16 bytes), then the
    # lines of main.a (10 for 8 bytes, 12 for 8) and of main.b (20 for 16).
    pctab = bytes([0, 2, 16, 0, 22, 8, 4, 8, 0, 42, 16, 0])
    off_names = 72
    off_cu = 88
    off_files = 92
    off_pctab = 104
    off_functab = 120

    def func(entryoff, nameoff, pcln):
        return struct.pack("<IiiIIIIII", entryoff, nameoff, 0, 0, 0, 1, pcln, 0, 0) + bytes(4)

    functab = struct.pack("<IIIII", 0, 20, 16, 60, 32)
    body = functab + func(0, 0, 4) + func(16, 7, 9)
    hdr = struct.pack("<IBBBB", 0xfffffff0, 0, 0, 1, 8)
    hdr += struct.pack("<8Q", 2, 1, 0x401000, off_names, off_cu, off_files, off_pctab, off_functab)
    out = bytearray(220)
    for off, b in ((0, hdr), (off_names, names), (off_cu, struct.pack("<I", 0)), (off_files, files),
                   (off_pctab, pctab), (off_functab, body)):
        out[off:off + len(b)] = b
    return bytes(out)


if __name__ == "__main__":
    sys.stdout.buffer.write(table())
