#!/usr/bin/env bash
# MiniLMEmbedder (Mnemap, Swift) against sentence-transformers on PyTorch (CPU): model load time,
# sentences per second at batch 32 on 1,000 passages, peak resident memory, and whether both give
# the same vectors.
#
#   bash Benchmarks/run-embeddings.sh [N]
#
# N: passages, the "text" of the first N lines of ../shared/data/pydocs/chunks.jsonl (default 1000;
#   $MNEMAP_PASSAGES overrides the file).
# MNEMAP_LOAD_RUNS (9), MNEMAP_PEER_LOAD_RUNS (3): fresh processes timed for the model load.
# MNEMAP_EMBED_RUNS (1): embedding runs of each side, alternated (the table takes the median).
# MNEMAP_QUERIES: short queries embedded the same way (one call, batch 32), all lines of the file;
#   default ../shared/data/pydocs/queries.jsonl (300 queries, 13 tokens on average); "" skips them.
# MNEMAP_QUERY_REPEATS (5): calls over all the queries per timed run (a call on 300 queries is short).
#   The queries also run at batch 1 (one query per forward pass; one call over all of them).
# MNEMAP_RESULTS: the folder for the raw results; default Benchmarks/.build/embeddings-results.
# MNEMAP_PEER_VENV: the virtual environment of the peer; default Benchmarks/.build/embeddings-venv.
#
# Steps: scripts/install-model.sh (the model, into Mnemap's cache); a virtual environment in
# Benchmarks/.build/embeddings-venv with the CPU torch wheel and sentence-transformers; the Swift
# benchmark in release; both sides on the same passages, 2 threads (torch.set_num_threads(2);
# Swift's Dispatch uses the machine's cores, 2 here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for dir in /opt/swift/usr/bin /opt/swift/bin; do [ -d "$dir" ] && export PATH="$dir:$PATH"; done

n="${1:-1000}"
passages="${MNEMAP_PASSAGES:-$PWD/../../shared/data/pydocs/chunks.jsonl}"
dataset_vectors="$(dirname "$passages")/vectors.f32"
load_runs="${MNEMAP_LOAD_RUNS:-9}"
peer_load_runs="${MNEMAP_PEER_LOAD_RUNS:-3}"
embed_runs="${MNEMAP_EMBED_RUNS:-1}"
results="${MNEMAP_RESULTS:-$PWD/.build/embeddings-results}"
queries="${MNEMAP_QUERIES-$PWD/../../shared/data/pydocs/queries.jsonl}"
query_repeats="${MNEMAP_QUERY_REPEATS:-5}"
[ -f "$passages" ] || { echo "run-embeddings.sh: no passages at $passages" >&2; exit 1; }

# 1. The model.
bash ../scripts/install-model.sh
model="${MNEMAP_MODEL_DIR:-$HOME/.cache/mnemap/models/all-MiniLM-L6-v2}"

# 2. The peer: the CPU torch wheel, then sentence-transformers (its other dependencies from PyPI).
venv="${MNEMAP_PEER_VENV:-$PWD/.build/embeddings-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
python="$venv/bin/python"
if ! "$python" -c "import torch, sentence_transformers" 2> /dev/null; then
    # The CPU wheels' own index first (it holds torch but not all of torch's dependencies, which
    # come from PyPI). Without it, a CPU wheel from a folder of pip's find-links (if configured);
    # only then PyPI's default torch, which pulls the CUDA libraries (gigabytes).
    cpu_index=https://download.pytorch.org/whl/cpu
    cpu_wheel=""
    for dir in $("$venv/bin/pip" config list 2> /dev/null | sed -n "s/^.*find-links='\(.*\)'$/\1/p"); do
        candidate="$(ls "$dir"/torch-*+cpu-cp"$("$python" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"-*.whl 2> /dev/null | sort -V | tail -1 || true)"
        [ -n "$candidate" ] && cpu_wheel="$candidate"
    done
    if "$python" -c "import urllib.request; urllib.request.urlopen('$cpu_index/torch/', timeout=15)" 2> /dev/null; then
        "$venv/bin/pip" install --quiet torch --index-url "$cpu_index" --extra-index-url https://pypi.org/simple
        echo "torch: from the CPU index ($cpu_index)"
    elif [ -n "$cpu_wheel" ]; then
        "$venv/bin/pip" install --quiet "$cpu_wheel"
        echo "torch: $cpu_index unreachable; the CPU wheel $cpu_wheel (pip's find-links), dependencies from PyPI"
    else
        "$venv/bin/pip" install --quiet torch
        echo "torch: $cpu_index unreachable; PyPI's default torch wheel"
    fi
    "$venv/bin/pip" install --quiet sentence-transformers
fi
"$python" -c "import torch, sentence_transformers, transformers; print('peer: torch', torch.__version__, '| sentence-transformers', sentence_transformers.__version__, '| transformers', transformers.__version__)"

# 3. The Swift benchmark.
swift build -c release --product EmbeddingsBenchmarks
binary="$(swift build -c release --show-bin-path)/EmbeddingsBenchmarks"

# 4. The runs.
mkdir -p "$results"
rm -f "$results"/*.txt "$results"/*.f32
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); nproc $(nproc); $(uname -sr); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f|avx512_vnni|amx_tile' | tr '\n' ' ')"
    echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$results/machine.txt"
echo "model load, $load_runs fresh Swift processes, $peer_load_runs fresh Python processes"
for _ in $(seq "$load_runs"); do "$binary" load --folder "$model" | tee -a "$results/swift-load.txt"; done
for _ in $(seq "$peer_load_runs"); do "$python" embeddings-peer.py load "$model" 2> /dev/null | tee -a "$results/torch-load.txt"; done
echo "embedding $n passages at batch 32, $embed_runs run(s) each"
for _ in $(seq "$embed_runs"); do
    "$binary" embed --folder "$model" --passages "$passages" --n "$n" --batch 32 --out "$results/swift-vectors.f32" \
        | tee -a "$results/swift-embed.txt"
    echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$python" embeddings-peer.py embed "$model" "$passages" "$n" 32 "$results/torch-vectors.f32" 2> /dev/null \
        | tee -a "$results/torch-embed.txt"
    echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    if [ -n "$queries" ]; then
        nq="$(wc -l < "$queries")"
        "$binary" embed --folder "$model" --passages "$queries" --n "$nq" --batch 32 --repeat "$query_repeats" \
            --out "$results/swift-query-vectors.f32" | tee -a "$results/swift-queries.txt"
        echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
        "$python" embeddings-peer.py embed "$model" "$queries" "$nq" 32 "$results/torch-query-vectors.f32" "$query_repeats" 2> /dev/null \
            | tee -a "$results/torch-queries.txt"
        echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
        # One query per forward pass, as an agent embeds its questions one at a time.
        "$binary" embed --folder "$model" --passages "$queries" --n "$nq" --batch 1 \
            --out "$results/swift-query1-vectors.f32" | tee -a "$results/swift-queries-batch1.txt"
        echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
        "$python" embeddings-peer.py embed "$model" "$queries" "$nq" 1 "$results/torch-query1-vectors.f32" 2> /dev/null \
            | tee -a "$results/torch-queries-batch1.txt"
        echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
        # PyTorch's short batches on 1 thread too: on a busy machine its 2 OpenMP threads can be
        # many times slower than 1 on small matrices.
        "$python" embeddings-peer.py embed "$model" "$queries" "$nq" 32 /dev/null "$query_repeats" 1 2> /dev/null \
            | tee -a "$results/torch-queries-1thread.txt"
        "$python" embeddings-peer.py embed "$model" "$queries" "$nq" 1 /dev/null 1 1 2> /dev/null \
            | tee -a "$results/torch-queries-batch1-1thread.txt"
        echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    fi
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows here)" | tee -a "$results/machine.txt"
echo
query_vectors=""
[ -n "$queries" ] && [ -f "$(dirname "$queries")/queries.f32" ] && query_vectors="$(dirname "$queries")/queries.f32"
"$python" summarize-embeddings.py "$results" "$dataset_vectors" "$query_vectors"
