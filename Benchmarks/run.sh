#!/usr/bin/env bash
# Builds the MappedMemory benchmarks in release mode and runs them on a hot file.
#
#   bash Benchmarks/run.sh [SIZE] [EXTRA ARGUMENTS...]
#
# SIZE: the data file's size, in bytes or with a suffix (512M, 1G); default
#   $MNEMAP_BENCH_SIZE or 1G.
# MNEMAP_BENCH_DIR: the folder for the data file; default Benchmarks/.build/bench-data.
# EXTRA ARGUMENTS go to the executable: --runs N, --random8 N, --random4k N.
# The data file is deleted at the end, also when the run fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -d /opt/swift/bin ]; then export PATH="/opt/swift/bin:$PATH"; fi

size_text="${MNEMAP_BENCH_SIZE:-1G}"
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then
    size_text="$1"
    shift
fi
size=$(numfmt --from=iec "$size_text") || { echo "run.sh: not a size: $size_text" >&2; exit 2; }
dir="${MNEMAP_BENCH_DIR:-$PWD/.build/bench-data}"
mkdir -p "$dir"

# The file must fit on disk (with 256 MiB to spare), and twice over in memory:
# once in the page cache, once as the in-memory copy.
free_bytes=$(( $(df -Pk "$dir" | awk 'NR == 2 { print $4 }') * 1024 ))
if [ "$free_bytes" -lt $(( size + (256 << 20) )) ]; then
    echo "run.sh: $dir has $(numfmt --to=iec "$free_bytes") free; the benchmark needs $(numfmt --to=iec "$size") plus 256M" >&2
    exit 1
fi
available_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)
if [ "$available_kib" -gt 0 ] && [ $(( available_kib * 1024 )) -lt $(( size * 2 + (512 << 20) )) ]; then
    echo "run.sh: warning: only $(numfmt --to=iec $(( available_kib * 1024 ))) of memory available; the file may not stay hot" >&2
fi

swift build -c release --product MappedMemoryBenchmarks
binary="$(swift build -c release --show-bin-path)/MappedMemoryBenchmarks"

file="$dir/mnemap-bench-$$.dat"
trap 'rm -f "$file"' EXIT
"$binary" --file "$file" --size "$size" "$@"
