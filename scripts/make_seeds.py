#!/usr/bin/env python3
"""Writes one fuzz seed file per frame found in tests/data/<protocol>/ (hex lines, or text lines for
OsmAnd). Lines starting with '#' are comments."""
import os
import sys

src, dst, protocol = sys.argv[1], sys.argv[2], sys.argv[3]
n = 0
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name), encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if protocol != "osmand":
                frame = line.split()[0]
                try:
                    data = bytes.fromhex(frame)
                except ValueError:
                    continue
            else:
                data = line.split("\t")[-1].encode()
            with open(os.path.join(dst, f"seed{n}"), "wb") as out:
                out.write(data)
            n += 1
