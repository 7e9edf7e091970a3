#!/usr/bin/env python3
"""The peers' side of run-vector.sh: hnswlib, USearch and FAISS (IndexHNSWFlat) on the same data
as the Swift VectorIndex benchmark, and the combined report.

  vector_peers.py synth  --out DIR --count N --dim D [--clusters C] [--seed S]
  vector_peers.py peers  --data F --dim D --queries F --truth F --metric cosine|l2 --ef 10,16,... --workdir DIR
  vector_peers.py probe  --lib NAME --path P --dim D --metric M --queries F   (a fresh process: open + first answer)
  vector_peers.py report --results FILE [--plot PNG] [--title TEXT]

Each result is one JSON object per line on standard output, like the Swift executable's.
Everything is single-threaded: builds with threads=1 / num_threads=1 / omp 1, and queries as one
batch per round with one thread (the peers' fastest single-threaded path from Python).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

K = 10


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def faults():
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def load(path, dim, dtype="<f4"):
    return np.ascontiguousarray(np.fromfile(path, dtype).reshape(-1, dim))


def recall(found, truth):
    hits = 0
    for row, want in zip(found, truth):
        hits += len(set(int(x) for x in row[:K]) & set(int(x) for x in want[:K]))
    return hits / (K * len(truth))


# MARK: libraries: build, save, set ef, search a batch with one thread, load

class Hnswlib:
    name = "hnswlib"

    def __init__(self, dim, metric):
        import hnswlib
        self.hnswlib, self.dim, self.space = hnswlib, dim, ("ip" if metric == "cosine" else "l2")
        self.index = None

    def build(self, data):
        self.index = self.hnswlib.Index(space=self.space, dim=self.dim)
        self.index.init_index(max_elements=len(data), M=16, ef_construction=200, random_seed=100)
        self.index.set_num_threads(1)
        self.index.add_items(data, np.arange(len(data)), num_threads=1)

    def save(self, path):
        self.index.save_index(path)
        return [path]

    def load(self, path):
        self.index = self.hnswlib.Index(space=self.space, dim=self.dim)
        self.index.load_index(path)
        self.index.set_num_threads(1)

    def set_ef(self, ef):
        self.index.set_ef(max(ef, K))

    def search(self, queries):
        labels, _ = self.index.knn_query(queries, k=K, num_threads=1)
        return labels


class USearch:
    def __init__(self, dim, metric, dtype="f32", view=False):
        from usearch.index import Index
        self.Index, self.dim, self.dtype, self.view = Index, dim, dtype, view
        self.metric = "cos" if metric == "cosine" else "l2sq"
        self.name = "usearch-" + dtype + ("-view" if view else "")
        self.index = None

    def build(self, data):
        self.index = self.Index(ndim=self.dim, metric=self.metric, dtype=self.dtype,
                                connectivity=16, expansion_add=200, expansion_search=64)
        self.index.add(np.arange(len(data)), data, threads=1)

    def save(self, path):
        self.index.save(path)
        return [path]

    def load(self, path):
        # restore = read the file into memory; view = memory-map it.
        self.index = self.Index.restore(path, view=self.view)

    def set_ef(self, ef):
        self.index.expansion_search = ef

    def search(self, queries):
        return self.index.search(queries, K, threads=1).keys


class Faiss:
    name = "faiss-hnswflat"

    def __init__(self, dim, metric):
        import faiss
        faiss.omp_set_num_threads(1)
        self.faiss, self.dim = faiss, dim
        self.metric = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
        self.index = None

    def build(self, data):
        self.index = self.faiss.IndexHNSWFlat(self.dim, 16, self.metric)
        self.index.hnsw.efConstruction = 200
        self.index.add(data)

    def save(self, path):
        self.faiss.write_index(self.index, path)
        return [path]

    def load(self, path):
        self.index = self.faiss.read_index(path)

    def set_ef(self, ef):
        self.index.hnsw.efSearch = ef

    def search(self, queries):
        return self.index.search(queries, K)[1]


def make(lib, dim, metric):
    if lib == "hnswlib":
        return Hnswlib(dim, metric)
    if lib == "faiss-hnswflat":
        return Faiss(dim, metric)
    if lib.startswith("usearch-"):
        parts = lib.split("-")
        return USearch(dim, metric, dtype=parts[1], view=len(parts) > 2 and parts[2] == "view")
    raise SystemExit("unknown library " + lib)


# MARK: commands

def peers(args):
    data = load(args.data, args.dim)
    queries = load(args.queries, args.dim)
    truth = np.fromfile(args.truth, "<i4").reshape(len(queries), -1)
    efs = [int(x) for x in args.ef.split(",")]
    os.makedirs(args.workdir, exist_ok=True)
    libs = args.libs.split(",")
    for lib in libs:
        peer = make(lib, args.dim, args.metric)
        start, start_cpu = time.perf_counter(), time.process_time()
        peer.build(data)
        build_seconds = time.perf_counter() - start
        build_cpu = time.process_time() - start_cpu
        path = os.path.join(args.workdir, lib + ".index")
        files = peer.save(path)
        size = sum(os.path.getsize(f) for f in files)
        emit({"op": "build", "lib": lib, "seconds": build_seconds, "cpu_seconds": build_cpu, "count": len(data), "file_bytes": size, "threads": 1})
        del peer
        # Open + first answer and memory, in a fresh process; USearch also as a memory-mapped view.
        variants = [lib] + ([lib + "-view"] if lib.startswith("usearch-") else [])
        for variant in [v for v in variants for _ in range(args.probes)]:
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "probe", "--lib", variant, "--path", path,
                                  "--dim", str(args.dim), "--metric", args.metric, "--queries", args.queries],
                                 check=True, capture_output=True, text=True)
            sys.stdout.write(out.stdout)
            sys.stdout.flush()
        # The sweep, on the index loaded from its file (as an application would use it).
        peer = make(lib, args.dim, args.metric)
        peer.load(path)
        for ef in efs:
            peer.set_ef(ef)
            found = peer.search(queries)
            r = recall(found, truth)
            best, best_cpu, rounds, sweep_start = float("inf"), float("inf"), 0, time.perf_counter()
            while rounds < 3 or time.perf_counter() - sweep_start < args.min_time:
                t, c = time.perf_counter(), time.process_time()
                peer.search(queries)
                best_cpu = min(best_cpu, time.process_time() - c)
                best = min(best, time.perf_counter() - t)
                rounds += 1
            emit({"op": "sweep", "lib": lib, "ef": ef, "recall": r, "qps_wall": len(queries) / best,
                  "qps": len(queries) / best_cpu, "rounds": rounds})
        del peer


def probe(args):
    queries = load(args.queries, args.dim)
    peer = make(args.lib, args.dim, args.metric)
    first_query = queries[:1]
    baseline = rss_kib()
    faults_before = faults()
    start, start_cpu = time.perf_counter(), time.process_time()
    peer.load(args.path)
    opened, opened_cpu = time.perf_counter(), time.process_time()
    rss_open = rss_kib()
    peer.set_ef(64)
    peer.search(first_query)
    answered, answered_cpu = time.perf_counter(), time.process_time()
    page_faults = faults() - faults_before
    # 1,000 queries one at a time (the query set, cycled) at ef 64, then the resident memory.
    for number in range(1000):
        peer.search(queries[number % len(queries):number % len(queries) + 1])
    rss_1000 = rss_kib()
    emit({"op": "open", "lib": args.lib, "open_ms": (opened - start) * 1000, "open_first_ms": (answered - start) * 1000,
          "first_query_ms": (answered - opened) * 1000, "open_first_cpu_ms": (answered_cpu - start_cpu) * 1000,
          "open_cpu_ms": (opened_cpu - start_cpu) * 1000, "page_faults": page_faults, "rss_baseline_kib": baseline, "rss_open_kib": rss_open,
          "rss_1000_kib": rss_1000})


def synth(args):
    """Clustered synthetic vectors: numpy.random.default_rng(seed); `clusters` centres ~ N(0, 1)^dim;
    each vector = a uniformly chosen centre + N(0, 0.35^2)^dim noise, as float32. Queries: 300 more
    vectors from the same distribution. Truth: exact top-100 by squared L2, computed in float64."""
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim))
    def sample(n):
        return (centres[rng.integers(0, args.clusters, n)] + 0.35 * rng.standard_normal((n, args.dim))).astype("<f4")
    data = sample(args.count)
    queries = sample(300)
    os.makedirs(args.out, exist_ok=True)
    data.tofile(os.path.join(args.out, "vectors.f32"))
    queries.tofile(os.path.join(args.out, "queries.f32"))
    d64, q64 = data.astype(np.float64), queries.astype(np.float64)
    norms = (d64 * d64).sum(1)
    truth = np.empty((len(queries), 100), dtype="<i4")
    for row in range(len(queries)):
        distances = norms - 2 * d64 @ q64[row]
        top = np.argpartition(distances, 100)[:100]
        truth[row] = top[np.argsort(distances[top], kind="stable")]
    truth.tofile(os.path.join(args.out, "truth-top100.i32"))


# MARK: report

def interpolate_qps(points, target):
    """QPS at recall = target on the curve (linear between the two sweep points around it;
    None when the curve never reaches it)."""
    points = sorted(points, key=lambda p: p["ef"])
    for lower, upper in zip(points, points[1:]):
        if lower["recall"] >= target:
            return lower["qps"]
        if lower["recall"] < target <= upper["recall"]:
            f = (target - lower["recall"]) / (upper["recall"] - lower["recall"])
            return lower["qps"] + f * (upper["qps"] - lower["qps"])
    if points and points[0]["recall"] >= target:
        return points[0]["qps"]
    return None


def report(args):
    rows = [json.loads(line) for line in open(args.results) if line.startswith("{")]
    builds = {r["lib"]: r for r in rows if r["op"] == "build"}
    opens = {}
    for lib in dict.fromkeys(r["lib"] for r in rows if r["op"] == "open"):
        runs = [r for r in rows if r["op"] == "open" and r["lib"] == lib]
        med = lambda key: sorted(r[key] for r in runs)[len(runs) // 2]
        opens[lib] = dict(runs[0], open_first_ms=med("open_first_ms"), open_first_best_ms=min(r["open_first_ms"] for r in runs),
                          open_first_cpu_ms=med("open_first_cpu_ms"), page_faults=med("page_faults"), runs=len(runs))
    sweeps = {}
    for r in rows:
        if r["op"] == "sweep":
            sweeps.setdefault(r["lib"], []).append(r)
    libs = list(dict.fromkeys([r["lib"] for r in rows if r["op"] in ("build", "sweep")]))
    efs = sorted({r["ef"] for r in rows if r["op"] == "sweep"})
    target = args.recall_target
    mb = lambda b: b / 1e6
    out = []
    p = out.append
    p(f"### {args.title}\n")
    p("Recall@10 / queries per second by efSearch (one thread; QPS = 300 queries / CPU time of the best of >= 3 rounds):\n")
    p("| library | " + " | ".join(f"ef {e}" for e in efs) + " |")
    p("|---|" + "---:|" * len(efs))
    for lib in libs:
        cells = []
        for e in efs:
            hit = [s for s in sweeps.get(lib, []) if s["ef"] == e]
            cells.append(f"{hit[0]['recall']:.3f} / {hit[0]['qps']:,.0f}" if hit else "")
        p(f"| {lib} | " + " | ".join(cells) + " |")
    p("")
    qps95 = {lib: interpolate_qps(sweeps.get(lib, []), target) for lib in libs}
    peer_libs = [lib for lib in libs if not lib.startswith("mnemap")]
    best_peer = max((lib for lib in peer_libs if qps95[lib]), key=lambda l: qps95[l], default=None)
    hnsw_build = builds.get("hnswlib", {}).get("cpu_seconds")
    p(f"| library | QPS @ recall {target} | vs best peer | build, 1 thread: CPU (wall) | vs hnswlib | file size | open + first answer: median of 5 fresh processes (best; CPU; page faults) | RSS before / after open / after 1,000 queries |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|")
    open_libs = list(dict.fromkeys(libs + [l for l in opens if l not in libs]))
    for lib in open_libs:
        q = qps95.get(lib)
        b = builds.get(lib, {})
        o = opens.get(lib, {})
        ratio = f"{q / qps95[best_peer]:.2f}x" if q and best_peer else ""
        size = ""
        if b.get("file_bytes"):
            size = f"{mb(b['file_bytes']):.1f} MB"
            if b.get("used_bytes"):
                size += f" ({mb(b['used_bytes']):.1f} used)"
        build = f"{b['cpu_seconds']:.1f} s ({b['seconds']:.1f} s wall)" if b.get("seconds") else ""
        bratio = f"{b['cpu_seconds'] / hnsw_build:.2f}x" if b.get("seconds") and hnsw_build else ""
        first = f"{o['open_first_ms']:.1f} ms ({o['open_first_best_ms']:.1f}; {o['open_first_cpu_ms']:.1f} CPU; {o['page_faults']} faults)" if o else ""
        rss = f"{o['rss_baseline_kib'] / 1024:.0f} / {o['rss_open_kib'] / 1024:.0f} / {o['rss_1000_kib'] / 1024:.0f} MiB" if o else ""
        shown = f"{q:,.0f}" if q else ("not reached" if sweeps.get(lib) else "(as above)")
        p(f"| {lib} | {shown} | {ratio} | {build} | {bratio} | {size} | {first} | {rss} |")
    p("")
    # Targets.
    p("```")
    p("Targets:")
    def verdict(ok):
        return "PASS" if ok else "MISS"
    m32 = "mnemap-float32"
    best_mnemap = max((l for l in libs if l.startswith("mnemap") and qps95.get(l)), key=lambda l: qps95[l], default=None)
    if best_peer:
        for lib in [l for l in libs if l.startswith("mnemap")]:
            q = qps95.get(lib)
            p(f"  {verdict(q is not None and q >= qps95[best_peer])}  QPS at recall@10 {target}: {lib} {q or 0:,.0f} vs best peer {best_peer} {qps95[best_peer]:,.0f} = {(q or 0) / qps95[best_peer]:.2f}x (target >= 1.0x)")
    if hnsw_build and m32 in builds:
        for lib in [l for l in libs if l.startswith("mnemap") and l in builds]:
            ratio = builds[lib]["cpu_seconds"] / hnsw_build
            p(f"  {verdict(ratio <= 1.0)}  build time: {lib} {builds[lib]['cpu_seconds']:.1f} s vs hnswlib {hnsw_build:.1f} s CPU = {ratio:.2f}x (target <= 1.0x; both one thread)")
    for lib in [l for l in opens if l.startswith("mnemap")]:
        ms = opens[lib]["open_first_ms"]
        p(f"  {verdict(ms < 10)}  open + first answer: {lib} {ms:.1f} ms median of {opens[lib]['runs']} fresh processes (best {opens[lib]['open_first_best_ms']:.1f} ms, {opens[lib]['open_first_cpu_ms']:.1f} ms CPU; target < 10 ms; page cache warm)")
    if m32 in builds and "mnemap-int8" in builds:
        total = builds[m32]["file_bytes"] / builds["mnemap-int8"]["file_bytes"]
        used = builds[m32]["used_bytes"] / builds["mnemap-int8"]["used_bytes"]
        vec = builds[m32]["vector_bytes"] / builds["mnemap-int8"]["vector_bytes"]
        p(f"  {verdict(used >= 4.0)}  Int8 size: float32/int8 = {used:.2f}x on the used bytes (vectors + graph), {total:.2f}x on the files, {vec:.2f}x on the vector slots alone (target 4x)")
        worst = None
        for e in efs:
            a = [s for s in sweeps.get(m32, []) if s["ef"] == e]
            b = [s for s in sweeps.get("mnemap-int8", []) if s["ef"] == e]
            if a and b:
                d = a[0]["recall"] - b[0]["recall"]
                worst = d if worst is None else max(worst, d)
        if worst is not None:
            p(f"  {verdict(worst <= 0.02)}  Int8 recall@10: at most {worst:.3f} below float32 at any efSearch (target <= 0.02)")
    p("```")
    text = "\n".join(out)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=90)
        for lib in libs:
            pts = sorted(sweeps.get(lib, []), key=lambda s: s["ef"])
            if pts:
                style = ("-o" if lib.count("-") == 1 else ":o") if lib.startswith("mnemap") else "--s"
                ax.plot([s["recall"] for s in pts], [s["qps"] for s in pts], style, label=lib, markersize=4)
        ax.axvline(target, color="grey", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("recall@10")
        ax.set_ylabel("queries per second (1 thread, log)")
        ax.set_title(args.title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["peers", "probe", "report", "synth"])
    parser.add_argument("--data")
    parser.add_argument("--dim", type=int)
    parser.add_argument("--queries")
    parser.add_argument("--truth")
    parser.add_argument("--metric", default="cosine")
    parser.add_argument("--ef", default="10,16,32,64,128,256")
    parser.add_argument("--libs", default="hnswlib,usearch-f32,usearch-i8,faiss-hnswflat")
    parser.add_argument("--workdir")
    parser.add_argument("--min-time", type=float, default=0.3)
    parser.add_argument("--probes", type=int, default=5)
    parser.add_argument("--lib")
    parser.add_argument("--path")
    parser.add_argument("--results")
    parser.add_argument("--plot")
    parser.add_argument("--markdown")
    parser.add_argument("--title", default="VectorIndex")
    parser.add_argument("--recall-target", type=float, default=0.95)
    parser.add_argument("--out")
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    {"peers": peers, "probe": probe, "report": report, "synth": synth}[args.command](args)


if __name__ == "__main__":
    main()
