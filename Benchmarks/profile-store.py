#!/usr/bin/env python3
"""Splits a `perf record -k CLOCK_MONOTONIC --call-graph ...` profile of MappedStoreBenchmarks
by phase (the `phase-time` lines the benchmark prints with --phase-times) and prints, per
phase, the hottest functions by self time and by inclusive time (Swift names demangled).

    python3 profile-store.py PERF_DATA BENCHMARK_OUTPUT [TOP]
"""
import collections, subprocess, sys

def phases(path):
    windows = []
    for line in open(path):
        if line.startswith("phase-time\t"):
            _, start, end, engine, label, variant = line.rstrip("\n").split("\t")
            windows.append((int(start) / 1e9, int(end) / 1e9, f"{engine}: {label}" + (f" [{variant}]" if variant else "")))
    return windows

def samples(perf_data):
    """Yields (time, [symbols from leaf to root]) for each sample."""
    text = subprocess.run(["perf", "script", "-i", perf_data, "-F", "time,ip,sym,dso"],
                          capture_output=True, text=True, check=True).stdout
    time, stack = None, []
    for line in text.splitlines():
        if not line.strip():
            if time is not None: yield time, stack
            time, stack = None, []
        elif line.rstrip().endswith(":") and not line.startswith("\t"):
            time = float(line.strip().rstrip(":"))
        else:
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                sym, _, dso = parts[1].rpartition(" (")
                dso = dso.rstrip(")").rsplit("/", 1)[-1]
                stack.append(f"{sym} [{dso}]" if sym and sym != "[unknown]" else f"? [{dso}]")
    if time is not None: yield time, stack

def demangle(names):
    names = list(names)
    if not names: return {}
    result = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                            capture_output=True, text=True).stdout.splitlines()
    return dict(zip(names, result)) if len(result) == len(names) else {name: name for name in names}

# Frames on every sample's path that say nothing about where the time goes.
IGNORED = ("__libc_start", "_start ", "main ", "Clock.measure", "Driver.", "closure #1 in Driver", "entry_SYSCALL", "do_syscall_64",
           "runThreads", "start_thread", "clone3", "closure #1 in runThreads", "thunk for", "partial apply")

def main():
    perf_data, output = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    windows = phases(output)
    self_counts = collections.defaultdict(collections.Counter)
    callers = collections.defaultdict(collections.Counter)
    inclusive = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    for time, stack in samples(perf_data):
        for start, end, name in windows:
            if start <= time <= end:
                totals[name] += 1
                if stack: self_counts[name][stack[0]] += 1
                if len(stack) > 1: callers[(name, stack[0])][stack[1]] += 1
                for symbol in set(stack): inclusive[name][symbol] += 1
                break
    symbols = set()
    for counter in list(self_counts.values()) + list(inclusive.values()):
        symbols.update(symbol for symbol, _ in counter.most_common(top * 3))
    for counter in callers.values():
        symbols.update(symbol for symbol, _ in counter.most_common(2))
    names = demangle(symbols)
    for _, _, name in windows:
        if name not in totals: continue
        total = totals.pop(name)
        print(f"\n== {name}: {total} samples")
        print("  self:")
        for symbol, count in self_counts[name].most_common(top):
            print(f"    {100 * count / total:5.1f}%  {names.get(symbol, symbol)[:150]}")
            for caller, calls in callers[(name, symbol)].most_common(2):
                if calls * 4 >= count and count * 50 >= total:
                    print(f"             <- {100 * calls / count:3.0f}% from {names.get(caller, caller)[:130]}")
        print("  inclusive:")
        shown = 0
        for symbol, count in inclusive[name].most_common():
            label = names.get(symbol, symbol)
            if any(label.startswith(prefix) for prefix in IGNORED):
                continue
            print(f"    {100 * count / total:5.1f}%  {label[:150]}")
            shown += 1
            if shown >= top: break

main()
