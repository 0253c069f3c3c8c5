#!/usr/bin/env python3
"""The dependency rule between user/'s folders, checked on every build.

Each folder may include headers from the folders listed for it, and from
itself; nothing else.  The BPF contracts (include/*.h) and the generated
skeletons (*.skel.h) count as one more layer, "bpf", that only trace/ may
include.  Headers are found by name: a name must be unique across user/.

Files directly in user/ other than main.c are not in a layer yet (code
merged from elsewhere): they are reported, not failed, until moved.

Prints one line per violation, `memtrace: layers: FILE includes HEADER
(LAYER): ...`, and exits 1 when there is any.
"""
import os
import re
import sys

ALLOWED = {
    "lib": {"lib"},
    "model": {"lib", "model"},
    "symbols": {"lib", "model", "symbols"},
    "formats": {"lib", "model", "formats"},
    "trace": {"lib", "model", "symbols", "trace", "bpf"},
    "cli": {"lib", "model", "symbols", "formats", "trace", "cli"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main(root):
    user = os.path.join(root, "user")
    layer_of = {}  # header name -> layer
    files = []     # (path, layer)
    for name in sorted(os.listdir(os.path.join(root, "include"))):
        if name.endswith(".h"):
            layer_of[name] = "bpf"
    unsorted = []
    for dirpath, _, names in sorted(os.walk(user)):
        rel = os.path.relpath(dirpath, user)
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, name)
            if rel == ".":
                layer = "cli" if name == "main.c" else None
                if layer is None:
                    unsorted.append(path)
            else:
                layer = rel.split(os.sep)[0]
                if layer not in ALLOWED:
                    print(f"memtrace: layers: {path}: unknown folder {layer} "
                          f"(add it to tools/layer_check.py)")
                    return 1
            if name.endswith(".h"):
                if name in layer_of:
                    print(f"memtrace: layers: {path}: header name {name} is taken "
                          f"(headers are included by name: rename one)")
                    return 1
                layer_of[name] = layer
            if layer:
                files.append((path, layer))
    bad = 0
    for path, layer in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            base = os.path.basename(inc)
            dep = "bpf" if base.endswith(".skel.h") else layer_of.get(base, "?")
            if dep is None or dep in ALLOWED[layer]:
                continue  # unsorted headers are anyone's until moved
            if dep == "?":
                continue  # a test helper or a system header given in quotes
            print(f"memtrace: layers: {os.path.relpath(path, root)} includes {inc} ({dep}): "
                  f"{layer}/ may include only {', '.join(sorted(ALLOWED[layer]))} "
                  f"(move the code down a layer or pass the data up)")
            bad += 1
    for path in unsorted:
        print(f"memtrace: layers: {os.path.relpath(path, root)} is in no layer yet "
              f"(move it to one of user/{{{','.join(ALLOWED)}}})", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
