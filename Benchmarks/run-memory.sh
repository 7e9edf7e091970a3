#!/usr/bin/env bash
# MemoryStore (agent memory) against Chroma, LanceDB and sqlite-vec, on the same data, in one run.
#
#   bash Benchmarks/run-memory.sh                      # pydocs, then synthetic 1,000,000
#   bash Benchmarks/run-memory.sh --count 200000       # a smaller synthetic set
#   bash Benchmarks/run-memory.sh --sets pydocs        # one data set (pydocs, synth)
#
# Options:
#   --count N        synthetic memories (numpy seed 42; see --synth-kind); default 1000000
#   --sets LIST      pydocs,synth (default both)
#   --peers LIST     peers on pydocs; default chroma,lancedb,lancedb-ivfpq,sqlite-vec,sqlite-vec-partition
#   --synth-peers L  peers on the synthetic set; default chroma,lancedb,lancedb-ivfpq,sqlite-vec
#   --synth-kind K   neighbours (default: between pydocs neighbours, with pydocs queries) or random
#   --synth-queries Q  queries on the synthetic set (the exact peers take ~1 s a query at 1M); default 100
#   --probes P       fresh processes for open + first answer; default 5 (3 on the synthetic set)
#   --min-time S     seconds of timed query passes per mode (at least 3 passes); default 3
#   --no-mnemap      run only the peers (with --append: keep Mnemap's earlier line in the results)
#   --append         add to the data set's results file instead of starting it anew (the report
#                    takes the last line of each library)
# Environment:
#   MNEMAP_MEMORY_DATA  the pydocs folder; default ../shared/data/pydocs next to the repository
#   MNEMAP_MEMORY_DIR   stores, synthetic data and raw results; default Benchmarks/.build/mbench
#   MNEMAP_MEMORY_VENV  the peers' virtualenv; default Benchmarks/.venv (made with a Python whose
#                       sqlite3 can load extensions, for sqlite-vec; pip installs chromadb lancedb
#                       sqlite-vec numpy into it when missing)
#
# Mnemap: MemoryStore without embedder, dimension 384, durability .noSync (plus one ingest-only
# run with .full on pydocs), 1,000 memories per add(contentsOf:), namespace ns/<i % 100>; the
# filtered queries keep ns/42 (1%). The peers get the same memories, batches and namespaces.
# Prints one table per data set with Mnemap / best peer, writes Benchmarks/results/memory-*.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
data="${MNEMAP_MEMORY_DATA:-$here/../../shared/data/pydocs}"
work="${MNEMAP_MEMORY_DIR:-$here/.build/mbench}"
venv="${MNEMAP_MEMORY_VENV:-$here/.venv}"
count=1000000
sets=pydocs,synth
peers=chroma,lancedb,lancedb-ivfpq,sqlite-vec,sqlite-vec-partition
synth_peers=chroma,lancedb,lancedb-ivfpq,sqlite-vec
synth_queries=100
synth_kind=neighbours
probes=
min_time=3
mnemap=1
append=0
while [ $# -gt 0 ]; do
    case "$1" in
        --count) count=$2; shift 2 ;;
        --sets) sets=$2; shift 2 ;;
        --peers) peers=$2; shift 2 ;;
        --synth-peers) synth_peers=$2; shift 2 ;;
        --synth-queries) synth_queries=$2; shift 2 ;;
        --synth-kind) synth_kind=$2; shift 2 ;;
        --probes) probes=$2; shift 2 ;;
        --min-time) min_time=$2; shift 2 ;;
        --no-mnemap) mnemap=0; shift ;;
        --append) append=1; shift ;;
        *) echo "run-memory.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$work" results

# The peers, from PyPI, in their own virtualenv. sqlite-vec needs sqlite3's load_extension, which
# some Python builds (pyenv's default) leave out: take the first Python that has it.
if [ ! -x "$venv/bin/python" ]; then
    for candidate in /usr/bin/python3 python3; do
        if "$candidate" -c 'import sqlite3, sys; sys.exit(0 if hasattr(sqlite3.Connection, "enable_load_extension") else 1)' 2>/dev/null; then
            "$candidate" -m venv "$venv"
            break
        fi
    done
    [ -x "$venv/bin/python" ] || { echo "run-memory.sh: no Python with sqlite3 extension loading found" >&2; exit 1; }
fi
python="$venv/bin/python"
"$python" -c 'import chromadb, lancedb, sqlite_vec, numpy' 2>/dev/null || "$python" -m pip install --quiet chromadb lancedb sqlite-vec numpy

swift build -c release --product MemoryBench
binary="$(swift build -c release --show-bin-path)/MemoryBench"

echo "run-memory.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); Swift $(swift --version 2>&1 | head -1 | sed 's/.*version \([0-9.]*\).*/\1/'), $("$python" -c 'import chromadb, lancedb, sqlite_vec, numpy, sys; print(f"Python {sys.version.split()[0]}, chromadb {chromadb.__version__}, lancedb {lancedb.__version__}, sqlite-vec {sqlite_vec.__version__}, numpy {numpy.__version__}")')"

# One data set: filtered truth, Mnemap (noSync, then .full ingest only when $4), the peers, the report.
# $1 name, $2 folder, $3 peers, $4 also .full, $5 title, $6 max queries (0: all), $7 probes
run_set() {
    local name=$1 folder=$2 results="$work/$1.jsonl"
    if [ "$append" = 0 ]; then : > "$results"; fi
    "$python" memory_peers.py prepare --data "$folder" --out "$work/$name-filtered.i32"
    if [ "$mnemap" = 1 ]; then
        echo "== $name: mnemap (load $(cut -d' ' -f1-3 /proc/loadavg))"
        "$binary" run --data "$folder" --store "$work/$name-mnemap" --filtered-truth "$work/$name-filtered.i32" \
            --probes "$7" --min-time "$min_time" --max-queries "$6" | tee -a "$results"
    fi
    if [ "$mnemap" = 1 ] && [ "$4" = 1 ]; then
        "$binary" run --data "$folder" --store "$work/$name-mnemap-full" --lib mnemap-full --durability full \
            --ingest-only 1 | tee -a "$results"
    fi
    for peer in ${3//,/ }; do
        echo "== $name: $peer (load $(cut -d' ' -f1-3 /proc/loadavg))"
        "$python" memory_peers.py run --lib "$peer" --data "$folder" --path "$work/$name-$peer" \
            --filtered-truth "$work/$name-filtered.i32" --probes "$7" --min-time "$min_time" \
            --max-queries "$6" 2> >(grep --line-buffered -v "Deprecation warning\|disable_scoring_autoprojection" >&2) | tee -a "$results"
    done
    echo
    "$python" memory_peers.py report --results "$results" --title "$5" --markdown "results/memory-$name.md"
    echo
}

start=$(date +%s)
if [[ ",$sets," == *,pydocs,* ]]; then
    run_set pydocs "$data" "$peers" 1 "pydocs: 15,134 passages, all-MiniLM-L6-v2 384-dim vectors, 300 queries" 0 "${probes:-5}"
fi
if [[ ",$sets," == *,synth,* ]]; then
    synth_dir="$work/synth-$synth_kind-$count"
    if [ ! -f "$synth_dir/truth-top100.i32" ]; then
        "$python" memory_peers.py synth --out "$synth_dir" --count "$count" --seed 42 --kind "$synth_kind" --base "$data"
    fi
    if [ "$synth_kind" = random ]; then
        what="random unit 384-dim vectors (no structure: no approximate index finds their neighbours)"
        tag=random
    else
        what="384-dim vectors between pydocs neighbours (w·a + (1-w)·b + noise 0.3), pydocs queries"
        tag=""
    fi
    run_set "synth$tag$((count / 1000))k" "$synth_dir" "$synth_peers" 0 \
        "synthetic: $count $what (seed 42), texts of 8-30 made-up words, $synth_queries queries" "$synth_queries" "${probes:-3}"
fi
echo "run-memory.sh: done in $(( $(date +%s) - start )) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
