#!/usr/bin/env python3
"""Summarises several outputs of run-store.sh: for every MappedStore row, its ratio against LMDB
and against SQLite in each run, and the median; the machine is shared, so one run is not enough.

    python3 summarize-store.py OUTPUT...
"""
import statistics, sys

def rows(path):
    table = {}
    for line in open(path):
        if line.startswith("| (") and "MappedStore" in line:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            phase, how = cells[0], cells[2].split(";")[0]
            if how.startswith("median"): how = ""
            table[(phase, how)] = (float(cells[6].rstrip("x")), float(cells[7].rstrip("x")), float(cells[5]))
    return table

runs = [rows(path) for path in sys.argv[1:]]
keys = [key for key in runs[0]]
print(f"{len(runs)} runs; MappedStore ratios (ops/s against ops/s), each run, then the median\n")
print("| phase | how | vs LMDB | median | vs SQLite | median |")
print("|---|---|---|--:|---|--:|")
for key in keys:
    lmdb = [run[key][0] for run in runs if key in run]
    sqlite = [run[key][1] for run in runs if key in run]
    fmt = lambda values: " ".join(f"{value:.2f}" for value in values)
    print(f"| {key[0]} | {key[1]} | {fmt(lmdb)} | {statistics.median(lmdb):.2f}x | {fmt(sqlite)} | {statistics.median(sqlite):.2f}x |")
