#!/usr/bin/python3
"""Writes or checks a block pattern: every 512-byte block holds its own number, so a misplaced block is caught.

Usage: block_pattern.py write FILE MIB TAG     makes FILE of MIB MiB
       block_pattern.py check DEVICE MIB TAG   reads DEVICE (the host's /dev/sdX) and compares
"""
import os, sys

mode, path, mib, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
blocks = mib * 2048

def block(i):
    text = f"{tag} block {i:08d} ".encode()
    return (text * (512 // len(text) + 1))[:512]

if mode == "write":
    with open(path, "wb") as f:
        for i in range(blocks):
            f.write(block(i))
    sys.exit(0)

with open(path, "rb", buffering=0) as f:
    for i in range(blocks):
        data = f.read(512)
        if data != block(i):
            print(f"{path}: block {i} differs: {data[:40]!r}", file=sys.stderr)
            sys.exit(1)
print(f"{path}: {blocks} blocks ok")
