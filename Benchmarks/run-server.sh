#!/usr/bin/env bash
# `mnemap serve` under load over HTTP on loopback, against Chroma's HTTP server (`chroma run`), on
# the same memories and queries, in one run.
#
#   bash Benchmarks/run-server.sh                          # 100,000 memories, both servers
#   bash Benchmarks/run-server.sh --count 20000 --duration 5 --servers mnemap
#
# Options:
#   --count N       memories (pydocs passages repeated, vectors perturbed; see server_load.py); default 100000
#   --duration S    seconds of load per figure (one wrk run); default 10
#   --clients LIST  concurrent clients (wrk connections, each with one request in flight); default 1,8,64
#   --servers LIST  mnemap,chroma (default both)
# Environment:
#   MNEMAP_SERVER_DATA  the pydocs folder; default ../shared/data/pydocs next to the repository
#   MNEMAP_SERVER_DIR   data, stores and raw results; default Benchmarks/.build/sbench
#   MNEMAP_SERVER_VENV  the virtualenv for Chroma and numpy; default Benchmarks/.build/server-venv
#                       (pip installs chromadb 1.5.9 and numpy into it when missing)
#
# Each server starts on an empty store and gets, over HTTP from one client, the memories in batches
# of 1,000 with their vectors (Mnemap: POST /v1/memories/batch into a store made with
# `mnemap init --embedder external --dimension 384`, so the server embeds nothing; Chroma: a cosine
# collection, POST .../add). Then wrk (Debian package `wrk`, installed when missing and root) loads
# it for --duration seconds per figure: vector search k=10 with the pydocs queries' vectors (Mnemap
# returns each hit's memory, so Chroma is asked for documents and metadatas too), hybrid search
# (Mnemap only: Chroma has no text ranking to fuse), then single adds with unique texts. Mnemap's
# store is durable at each answer (durability .full: fdatasync per write); Chroma's answers once
# its write-ahead log has the write. wrk runs on the same machine and takes a share of its cores.
# Prints a table; writes Benchmarks/results/server-<count/1000>k.md and keeps the raw lines in
# $MNEMAP_SERVER_DIR/results.jsonl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here="$PWD"
data="${MNEMAP_SERVER_DATA:-$here/../../shared/data/pydocs}"
work="${MNEMAP_SERVER_DIR:-$here/.build/sbench}"
venv="${MNEMAP_SERVER_VENV:-$here/.build/server-venv}"
count=100000
duration=10
clients=1,8,64
servers=mnemap,chroma
while [ $# -gt 0 ]; do
    case "$1" in
        --count) count=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --servers) servers=$2; shift 2 ;;
        *) echo "run-server.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$work" results

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "run-server.sh: install wrk (apt-get install wrk)" >&2; exit 1; fi
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python="$venv/bin/python"
"$python" -c 'import chromadb, numpy' 2>/dev/null || "$python" -m pip install --quiet --disable-pip-version-check chromadb==1.5.9 numpy

swift build -c release --package-path .. --product mnemap
mnemap="$(swift build -c release --package-path .. --show-bin-path)/mnemap"

set_dir="$work/data-$count"
if [ ! -f "$set_dir/mnemap-add.txt" ]; then
    "$python" server_load.py prepare --data "$data" --count "$count" --out "$set_dir"
fi
results="$work/results.jsonl"
: > "$results"

echo "run-server.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $("$python" -c 'import chromadb, sys; print(f"Python {sys.version.split()[0]}, chromadb {chromadb.__version__}")'); $count memories, $duration s a figure, clients $clients"

# The servers started, stopped on any exit (a failed step included).
started=()
stop_started() { for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_started EXIT

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# One wrk run. $1 server, $2 figure, $3 base URL, $4 path, $5 bodies file, $6 clients, $7 "unique" for adds
load() {
    local threads=$(( $6 < 2 ? $6 : 2 ))
    echo "== $1 $2 (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    env LOAD_SERVER="$1" LOAD_FIGURE="$2" LOAD_PATH="$4" LOAD_BODIES="$5" LOAD_CONNECTIONS="$6" ${7:+LOAD_UNIQUE=1} \
        wrk -t "$threads" -c "$6" -d "${duration}s" --timeout 30s -s "$here/server-load.lua" "$3" \
        | grep '^{"server"' | tee -a "$results"
}

# One-line JSON records of a figure that is not a wrk run.
record() { "$python" -c 'import json, sys; print(json.dumps({"server": sys.argv[1], "figure": sys.argv[2], **json.loads(sys.argv[3])}))' "$@" | tee -a "$results"; }

# Peak resident memory (VmHWM) of a process, in MiB.
peak_rss() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

run_mnemap() {
    local store="$work/mnemap-store" port server url
    rm -rf "$store"
    "$mnemap" init --store "$store" --embedder external --dimension 384 >/dev/null
    "$mnemap" serve --store "$store" --port 0 2>"$work/mnemap-serve.log" &
    server=$!
    started+=("$server")
    for _ in $(seq 1 300); do
        port="$(sed -n 's|.*serving .* on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$work/mnemap-serve.log")"
        [ -n "$port" ] && break
        kill -0 "$server" 2>/dev/null || { cat "$work/mnemap-serve.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$work/mnemap-serve.log" >&2; echo "run-server.sh: mnemap serve did not start" >&2; exit 1; }
    url="http://127.0.0.1:$port"
    echo "== mnemap: ingest $count memories (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    record mnemap ingest "$("$python" server_load.py ingest --url "$url/v1/memories/batch" --dir "$set_dir/mnemap-batches" --expect-added)"
    "$python" server_load.py check --url "$url" --path /v1/search --body "$set_dir/mnemap-search.txt" --hits-key hits
    for c in ${clients//,/ }; do load mnemap "search-$c" "$url" /v1/search "$set_dir/mnemap-search.txt" "$c"; done
    for c in ${clients//,/ }; do load mnemap "hybrid-$c" "$url" /v1/search "$set_dir/mnemap-hybrid.txt" "$c"; done
    for c in ${clients//,/ }; do load mnemap "add-$c" "$url" /v1/memories "$set_dir/mnemap-add.txt" "$c" unique; done
    record mnemap peak-rss "{\"mib\": $(peak_rss "$server")}"
    kill -TERM "$server"
    wait "$server"
    record mnemap disk "{\"mb\": $(du -sb "$store" | awk '{ printf "%.1f", $1 / 1e6 }')}"
}

run_chroma() {
    local path="$work/chroma" port server url base
    rm -rf "$path"
    port="$(free_port)"
    "$venv/bin/chroma" run --path "$path" --host 127.0.0.1 --port "$port" >"$work/chroma-serve.log" 2>&1 &
    server=$!
    started+=("$server")
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 300); do
        curl -sf "$url/api/v2/heartbeat" >/dev/null 2>&1 && break
        kill -0 "$server" 2>/dev/null || { cat "$work/chroma-serve.log" >&2; exit 1; }
        sleep 0.1
    done
    base="/api/v2/tenants/default_tenant/databases/default_database/collections/$("$python" server_load.py chroma-collection --url "$url")"
    echo "== chroma: ingest $count memories (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    record chroma ingest "$("$python" server_load.py ingest --url "$url$base/add" --dir "$set_dir/chroma-batches")"
    "$python" server_load.py check --url "$url" --path "$base/query" --body "$set_dir/chroma-query.txt" --hits-key ids
    for c in ${clients//,/ }; do load chroma "search-$c" "$url" "$base/query" "$set_dir/chroma-query.txt" "$c"; done
    for c in ${clients//,/ }; do load chroma "add-$c" "$url" "$base/add" "$set_dir/chroma-add.txt" "$c" unique; done
    record chroma peak-rss "{\"mib\": $(peak_rss "$server")}"
    kill -TERM "$server"
    wait "$server" || true
    record chroma disk "{\"mb\": $(du -sb "$path" | awk '{ printf "%.1f", $1 / 1e6 }')}"
}

start=$(date +%s)
[[ ",$servers," == *,mnemap,* ]] && run_mnemap
[[ ",$servers," == *,chroma,* ]] && run_chroma
echo
"$python" server_load.py report --results "$results" --markdown "results/server-$((count / 1000))k.md"
echo "run-server.sh: done in $(( $(date +%s) - start )) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
