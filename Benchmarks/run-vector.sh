#!/usr/bin/env bash
# VectorIndex against hnswlib, USearch and FAISS (IndexHNSWFlat), on the same data, in one run.
#
#   bash Benchmarks/run-vector.sh
#
# MNEMAP_VECTOR_DATA: the pydocs folder (vectors.f32, queries.f32, truth-top100.i32);
#   default ../shared/data/pydocs next to the repository.
# MNEMAP_VECTOR_SYNTH: vectors in the synthetic clustered data set (128 dims, L2), 0 to skip;
#   default 100000 (the issue asks 1M: MNEMAP_VECTOR_SYNTH=1000000 takes about 47 minutes on
#   2 cores, see BENCHMARKS.md).
# MNEMAP_VECTOR_SYNTH_TYPES: Mnemap element types on the synthetic set; default float32,int8
#   (Float16 builds ~6x slower than Float32 on x86-64 without F16C code; see BENCHMARKS.md).
# MNEMAP_VECTOR_SETS: which data sets, pydocs,synth (default both).
# MNEMAP_VECTOR_EF: the efSearch sweep; default 10,16,32,64,128,256.
# MNEMAP_VECTOR_DIR: the folder for indexes and results; default Benchmarks/.build/vbench-data.
# MNEMAP_VECTOR_TARGET_CPU: also build Mnemap for this CPU (e.g. haswell: AVX2, FMA, F16C;
#   Swift's default for x86_64 is SSE2) in .build-<cpu> and add its rows (mnemap-<type>-<cpu>)
#   to the pydocs table; default none. No source change: the same code, another -target-cpu.
# Everything is single-threaded: builds (Mnemap builds on one thread; the peers are told
# threads=1) and queries. Prints one table per data set with ratios and PASS/MISS, writes
# Benchmarks/results/vector-*.md and the recall/QPS plots vector-*.png.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -d /opt/swift/bin ]; then export PATH="/opt/swift/bin:$PATH"; fi
here="$PWD"
data="${MNEMAP_VECTOR_DATA:-$here/../../shared/data/pydocs}"
synth="${MNEMAP_VECTOR_SYNTH:-100000}"
synth_types="${MNEMAP_VECTOR_SYNTH_TYPES:-float32,int8}"
sets=",${MNEMAP_VECTOR_SETS:-pydocs,synth},"
ef="${MNEMAP_VECTOR_EF:-10,16,32,64,128,256}"
work="${MNEMAP_VECTOR_DIR:-$here/.build/vbench-data}"
mkdir -p "$work" results

# The peers, from PyPI, when missing.
missing=()
for pair in hnswlib:hnswlib usearch:usearch faiss:faiss-cpu numpy:numpy matplotlib:matplotlib; do
    python3 -c "import ${pair%%:*}" 2>/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then python3 -m pip install --quiet "${missing[@]}"; fi

swift build -c release --product VectorIndexBenchmarks
binary="$(swift build -c release --show-bin-path)/VectorIndexBenchmarks"
target_cpu="${MNEMAP_VECTOR_TARGET_CPU:-}"
if [ -n "$target_cpu" ]; then
    cpu_flags=(--scratch-path ".build-$target_cpu" -Xswiftc -target-cpu -Xswiftc "$target_cpu")
    swift build -c release --product VectorIndexBenchmarks "${cpu_flags[@]}"
    cpu_binary="$(swift build -c release "${cpu_flags[@]}" --show-bin-path)/VectorIndexBenchmarks"
fi

# One data set: Mnemap Float32 / Float16 / Int8 (build, then open + sweep in a fresh process),
# then the peers, then the report. $1 name, $2 folder, $3 dimension, $4 metric, $5 title,
# $6 element types.
run_set() {
    local name=$1 folder=$2 dim=$3 metric=$4
    local results="$work/$name.jsonl"
    : > "$results"
    for type in ${6//,/ }; do
        if [ -n "$target_cpu" ] && [ "$name" = pydocs ]; then
            "$cpu_binary" build --data "$folder/vectors.f32" --dim "$dim" --type "$type" --metric "$metric" \
                --index "$work/$name-mnemap-$type-$target_cpu" --lib "mnemap-$type-$target_cpu" | tee -a "$results"
            "$cpu_binary" search --index "$work/$name-mnemap-$type-$target_cpu" --lib "mnemap-$type-$target_cpu" \
                --queries "$folder/queries.f32" --truth "$folder/truth-top100.i32" --ef "$ef" | tee -a "$results"
        fi
        "$binary" build --data "$folder/vectors.f32" --dim "$dim" --type "$type" --metric "$metric" \
            --index "$work/$name-mnemap-$type" | tee -a "$results"
        "$binary" search --index "$work/$name-mnemap-$type" --lib "mnemap-$type" --queries "$folder/queries.f32" \
            --truth "$folder/truth-top100.i32" --ef "$ef" | tee -a "$results"
        # Open + first answer: four more fresh processes (the sweep's process was the first).
        for _ in 1 2 3 4; do
            "$binary" open --index "$work/$name-mnemap-$type" --lib "mnemap-$type" --queries "$folder/queries.f32" \
                --truth "$folder/truth-top100.i32" --ef 64 | tee -a "$results"
        done
    done
    python3 vector_peers.py peers --data "$folder/vectors.f32" --dim "$dim" --metric "$metric" \
        --queries "$folder/queries.f32" --truth "$folder/truth-top100.i32" --ef "$ef" \
        --workdir "$work/$name-peers" | tee -a "$results"
    echo
    python3 vector_peers.py report --results "$results" --title "$5" \
        --markdown "results/vector-$name.md" --plot "results/vector-$name.png"
    echo
}

start=$(date +%s)
echo "run-vector.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "$sets" == *,pydocs,* ]]; then
    run_set pydocs "$data" 384 cosine "pydocs: 15,134 x 384 all-MiniLM-L6-v2, cosine, M=16, efConstruction=200" \
        float32,float16,int8
fi
if [ "$synth" -gt 0 ] && [[ "$sets" == *,synth,* ]]; then
    synth_dir="$work/synth-$synth"
    if [ ! -f "$synth_dir/truth-top100.i32" ]; then
        python3 vector_peers.py synth --out "$synth_dir" --count "$synth" --dim 128 --clusters 1000 --seed 42
    fi
    run_set "synth$((synth / 1000))k" "$synth_dir" 128 l2 \
        "synthetic clustered: $synth x 128, L2, numpy seed 42, M=16, efConstruction=200" "$synth_types"
fi
echo "run-vector.sh: done in $(( $(date +%s) - start )) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
