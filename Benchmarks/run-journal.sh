#!/usr/bin/env bash
# Builds the MappedJournal benchmarks in release mode and runs them: MappedJournal between two
# processes against a C shared-memory SPSC ring, a Unix domain socket, a pipe and a POSIX
# message queue; throughput, and latency p50/p99/p99.9 at fixed rates, unpinned and pinned.
#
#   bash Benchmarks/run-journal.sh [EXTRA ARGUMENTS...]
#
# EXTRA ARGUMENTS go to the executable: --sizes 64,1024, --rates 100000,1000000,
#   --transports ring,journal,journal-spin,uds,pipe,mq, --pinning both|pinned|unpinned,
#   --throughput-runs 3, --latency-seconds 2, --scale 1 (message counts of the throughput runs),
#   --warmup 5000 (messages dropped at the start of each latency run), --latency-max-messages
#   1000000 (so a 1M/s run lasts 1 s), --no-throughput, --no-latency, --no-single (the
#   one-process costs of an append, a tailer read and a CRC32C; --single-count N records for them),
#   --no-jitter (skip the clock-read
#   jitter runs at the start and the end), --no-prepare-ahead (journals with
#   JournalOptions.prepareAhead off: segments created and pages faulted in by the appends).
# MNEMAP_BENCH_DIR: the folder for the journals (one per run, deleted after it); default
#   Benchmarks/.build/journal-bench-data (the disk, like a real journal; /dev/shm for tmpfs).
# MNEMAP_RING_BYTES: the C ring's data area (default 64 MiB, like a journal segment).
# The output (progress, Markdown tables, PASS/MISS) also goes to .build/journal-bench-<UTC time>.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -d /opt/swift/bin ]; then export PATH="/opt/swift/bin:$PATH"; fi

dir="${MNEMAP_BENCH_DIR:-$PWD/.build/journal-bench-data}"
mkdir -p "$dir"
swift build -c release --product MappedJournalBenchmarks

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
log=".build/journal-bench-$stamp.txt"
{
    echo "run-journal.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "kernel $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); journal folder $dir ($(df -T "$dir" | awk 'NR==2 {print $2}'))"
} | tee "$log"
start=$(date +%s)
.build/release/MappedJournalBenchmarks --dir "$dir" --latency-seconds 2 "$@" 2>&1 | tee -a "$log"
echo "run-journal.sh: took $(( $(date +%s) - start )) s; output in Benchmarks/$log" | tee -a "$log"
