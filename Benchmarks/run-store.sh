#!/usr/bin/env bash
# Builds the MappedStore benchmarks in release mode and runs them against LMDB and SQLite.
#
#   bash Benchmarks/run-store.sh [N] [EXTRA ARGUMENTS...]
#
# N: the number of keys (16 random bytes each, 100-byte values); default $MNEMAP_STORE_N or
#   1000000. Smaller is fine for a quick run (e.g. 100000).
# MNEMAP_BENCH_DIR: the folder for the three stores; default Benchmarks/.build/store-bench-data.
# EXTRA ARGUMENTS go to the executable: --single-txns T (2000), --batch-txns T (100),
#   --batch-size B (1000), --read-runs R (5), --concurrent-seconds S (5), --seed S,
#   --engines MappedStore,LMDB,SQLite, --keep (leave the stores on disk), --phase-times,
#   --store-relaxed batched (MappedStore's "no sync" rows with .batched(interval: 1 s)).
# Installs liblmdb-dev and libsqlite3-dev with apt-get when their headers are missing.
# The stores are deleted at the end, also when the run fails (unless --keep).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -d /opt/swift/bin ]; then export PATH="/opt/swift/bin:$PATH"; fi

if [ ! -f /usr/include/lmdb.h ] || [ ! -f /usr/include/sqlite3.h ]; then
    if command -v apt-get > /dev/null; then
        sudo_cmd=""
        if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
        $sudo_cmd apt-get install -y liblmdb-dev libsqlite3-dev || {
            $sudo_cmd apt-get update && $sudo_cmd apt-get install -y liblmdb-dev libsqlite3-dev
        }
    else
        echo "run-store.sh: install LMDB and SQLite with their headers (lmdb.h, sqlite3.h) first" >&2
        exit 1
    fi
fi

n="${MNEMAP_STORE_N:-1000000}"
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then
    n="$1"
    shift
fi
dir="${MNEMAP_BENCH_DIR:-$PWD/.build/store-bench-data}"
mkdir -p "$dir"

swift build -c release --product MappedStoreBenchmarks
binary="$(swift build -c release --show-bin-path)/MappedStoreBenchmarks"

keep=0
for argument in "$@"; do [ "$argument" = "--keep" ] && keep=1; done
if [ "$keep" -eq 0 ]; then
    trap 'rm -f "$dir"/store.mnemap "$dir"/store.mnemap-lock "$dir"/lmdb.mdb "$dir"/lmdb.mdb-lock "$dir"/sqlite.db "$dir"/sqlite.db-wal "$dir"/sqlite.db-shm' EXIT
fi
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); nproc $(nproc); $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$binary" --n "$n" --dir "$dir" "$@"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows here)"
