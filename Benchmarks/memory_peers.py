#!/usr/bin/env python3
"""The peers' side of run-memory.sh: Chroma, LanceDB and sqlite-vec as agent memory, measured the
way the Swift executable MemoryBench measures Mnemap's MemoryStore, and the combined report.

  memory_peers.py synth   --out DIR --count N [--dim 384] [--queries 300] [--seed 42]
  memory_peers.py prepare --data DIR --out FILE [--namespaces 100] [--filter-ns 42]
  memory_peers.py run     --lib chroma|lancedb|lancedb-ivfpq|sqlite-vec|sqlite-vec-partition --data DIR --path P
                          [--batch 1000] [--namespaces 100] [--filter-ns 42] [--filtered-truth FILE]
                          [--probes 5] [--min-time 3] [--max-queries Q]
  memory_peers.py probe   --lib L --path P --queries F [--max-queries Q]   (a fresh process: open + first answer)
  memory_peers.py report  --results FILE --title TEXT [--markdown OUT]

A data folder has the layout of ../shared/data/pydocs: chunks.jsonl ({"id", "text"} per line),
vectors.f32 (rows of float32), queries.jsonl, queries.f32, truth-top100.i32. Memory i gets the
namespace ns/<i % namespaces>; the filtered queries keep one namespace (1% of the memories).
Every result is one JSON object per line on standard output, like MemoryBench's.
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


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def disk_usage(path):
    allocated = apparent = 0
    if os.path.isfile(path):
        info = os.lstat(path)
        return info.st_blocks * 512, info.st_size
    for root, _, files in os.walk(path):
        for name in files:
            info = os.lstat(os.path.join(root, name))
            allocated += info.st_blocks * 512
            apparent += info.st_size
    return allocated, apparent


def loadavg():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def read_texts(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()]


def vectors_of(folder, dim):
    # Mapped, as MemoryBench maps it: its pages count in the resident set once touched, on both sides.
    return np.memmap(os.path.join(folder, "vectors.f32"), dtype="<f4", mode="r").reshape(-1, dim)


def queries_of(path, dim):
    return np.ascontiguousarray(np.fromfile(path, "<f4").reshape(-1, dim))


def percentile(sorted_values, p):
    rank = min(len(sorted_values) - 1, max(0, int(np.ceil(p / 100 * len(sorted_values))) - 1))
    return sorted_values[rank]


def latency(count, min_time, body):
    """As MemoryBench's: warm-up over 20 queries, then passes until >= 3 passes and min_time
    seconds (at least one pass; no new pass after 60 s). Milliseconds, and the first pass's answers."""
    for query in range(min(20, count)):
        body(query)
    samples, answers = [], []
    start = time.perf_counter()
    passes = 0
    while passes < 1 or ((passes < 3 or time.perf_counter() - start < min_time) and time.perf_counter() - start < 60):
        for query in range(count):
            before = time.perf_counter()
            answer = body(query)
            samples.append((time.perf_counter() - before) * 1000)
            if passes == 0:
                answers.append(answer)
        passes += 1
    samples.sort()
    return {"p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99),
            "mean_ms": sum(samples) / len(samples), "samples": len(samples)}, answers


# MARK: the peers: create + add a batch, finish, search (ids), open

class Chroma:
    """chromadb PersistentClient, one collection, HNSW with cosine space and Mnemap's HNSW
    parameters (M 16, ef_construction 200, ef_search 96; Chroma's defaults are 16/100/100)."""

    def __init__(self, path, dim):
        self.path, self.dim = path, dim

    def create(self):
        import chromadb
        from chromadb.config import Settings
        self.client = chromadb.PersistentClient(path=self.path, settings=Settings(anonymized_telemetry=False))
        self.collection = self.client.create_collection(
            "memories", embedding_function=None,
            configuration={"hnsw": {"space": "cosine", "ef_construction": 200, "ef_search": 96, "max_neighbors": 16}})

    def add(self, ids, namespaces, texts, vectors):
        self.collection.add(ids=[str(i) for i in ids], embeddings=vectors, documents=texts,
                            metadatas=[{"ns": ns} for ns in namespaces])

    def finish(self):
        pass

    def open(self):
        import chromadb
        from chromadb.config import Settings
        self.client = chromadb.PersistentClient(path=self.path, settings=Settings(anonymized_telemetry=False))
        self.collection = self.client.get_collection("memories", embedding_function=None)

    def search(self, vector, namespace=None):
        result = self.collection.query(query_embeddings=[vector], n_results=K, where={"ns": namespace} if namespace else None,
                                       include=["documents", "metadatas", "distances"])
        return [int(i) for i in result["ids"][0]]

    @staticmethod
    def module():
        import chromadb
        return chromadb


class LanceDB:
    """lancedb (embedded), one table (id, ns, text, vector), cosine. With index=None the search is
    LanceDB's exact scan (its docs: no vector index needed below ~100k rows); "ivfpq" adds the
    default IVF_PQ index (sqrt(n) partitions, dim/16 sub-vectors, 20 probes; refine_factor 10 at
    query time, which re-ranks 100 candidates on the full vectors). Both get a BITMAP scalar index on ns
    and `optimize()` after the appends (compaction of the per-batch fragments), inside the ingest time."""

    def __init__(self, path, dim, index=None):
        self.path, self.dim, self.index = path, dim, index
        self.table = None
        self.index_seconds = 0.0

    def create(self):
        import lancedb
        self.db = lancedb.connect(self.path)

    def add(self, ids, namespaces, texts, vectors):
        import pyarrow as pa
        vector = pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1)), self.dim)
        batch = pa.table({"id": pa.array(ids, pa.int64()), "ns": pa.array(namespaces, pa.string()),
                          "text": pa.array(texts, pa.string()), "vector": vector})
        if self.table is None:
            self.table = self.db.create_table("memories", batch)
        else:
            self.table.add(batch)

    def finish(self):
        import warnings
        from datetime import timedelta
        from lancedb.index import Bitmap, IvfPq
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "cleanup_older_than=0 removes every older version": wanted here
            self.table.optimize(cleanup_older_than=timedelta(seconds=0))
        start = time.perf_counter()
        self.table.create_index("ns", config=Bitmap())
        if self.index == "ivfpq":
            self.table.create_index("vector", config=IvfPq(distance_type="cosine"))
        self.index_seconds = time.perf_counter() - start

    def open(self):
        import lancedb
        self.db = lancedb.connect(self.path)
        self.table = self.db.open_table("memories")

    def search(self, vector, namespace=None):
        query = self.table.search(vector, vector_column_name="vector").distance_type("cosine").limit(K).select(["id", "ns", "text", "_distance"])
        if self.index == "ivfpq":
            query = query.refine_factor(10)
        if namespace:
            query = query.where(f"ns = '{namespace}'", prefilter=True)
        return [int(i) for i in query.to_arrow()["id"].to_pylist()]

    @staticmethod
    def module():
        import lancedb
        return lancedb


class SqliteVec:
    """sqlite-vec: one vec0 virtual table with ns as a metadata column (filterable in the KNN
    query) or, with partition=True, as a partition key (vec0 keeps each namespace in its own
    chunks of 1,024 vectors); the text as an auxiliary column; cosine distance; exact KNN (vec0 has
    no ANN index). One transaction per batch, SQLite's defaults otherwise (rollback journal,
    synchronous FULL)."""

    def __init__(self, path, dim, partition=False):
        self.path, self.dim, self.partition = path, dim, partition

    def connect(self):
        import sqlite3
        import sqlite_vec
        self.db = sqlite3.connect(self.path)
        self.db.enable_load_extension(True)
        sqlite_vec.load(self.db)
        self.db.enable_load_extension(False)

    def create(self):
        self.connect()
        ns = "ns text partition key" if self.partition else "ns text"
        self.db.execute(f"create virtual table memories using vec0({ns}, "
                        f"embedding float[{self.dim}] distance_metric=cosine, +body text)")

    def add(self, ids, namespaces, texts, vectors):
        rows = [(int(i), ns, np.ascontiguousarray(v, dtype=np.float32).tobytes(), t)
                for i, ns, v, t in zip(ids, namespaces, vectors, texts)]
        with self.db:
            self.db.executemany("insert into memories(rowid, ns, embedding, body) values (?, ?, ?, ?)", rows)

    def finish(self):
        pass

    def open(self):
        self.connect()

    def search(self, vector, namespace=None):
        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        if namespace:
            rows = self.db.execute("select rowid, distance, ns, body from memories where embedding match ? and k = ? and ns = ?",
                                   (blob, K, namespace)).fetchall()
        else:
            rows = self.db.execute("select rowid, distance, ns, body from memories where embedding match ? and k = ?",
                                   (blob, K)).fetchall()
        return [int(row[0]) for row in rows]

    @staticmethod
    def module():
        import sqlite_vec
        return sqlite_vec


def make(lib, path, dim):
    if lib == "chroma":
        return Chroma(path, dim)
    if lib == "lancedb":
        return LanceDB(path, dim)
    if lib == "lancedb-ivfpq":
        return LanceDB(path, dim, index="ivfpq")
    if lib == "sqlite-vec":
        return SqliteVec(path, dim)
    if lib == "sqlite-vec-partition":
        return SqliteVec(path, dim, partition=True)
    raise SystemExit(f"unknown --lib {lib}")


# MARK: commands

def cmd_run(args):
    import shutil
    dim = args.dim
    texts = read_texts(os.path.join(args.data, "chunks.jsonl"))
    vectors = vectors_of(args.data, dim)
    assert len(vectors) == len(texts)
    query_file = os.path.join(args.data, "queries.f32")
    queries = queries_of(query_file, dim)[:args.max_queries or None]
    truth = np.fromfile(os.path.join(args.data, "truth-top100.i32"), "<i4").reshape(-1, 100)[:, :K]
    load_start = loadavg()
    filter_ns = f"ns/{args.filter_ns}"
    if os.path.isdir(args.path):
        shutil.rmtree(args.path)
    elif os.path.exists(args.path):
        os.remove(args.path)
    os.makedirs(os.path.dirname(os.path.abspath(args.path)), exist_ok=True)
    rss_before = status_kib("VmRSS")

    peer = make(args.lib, args.path, dim)
    ingest = 0.0
    cpu = time.process_time()
    start = time.perf_counter()
    peer.create()
    last = time.perf_counter()
    for first in range(0, len(texts), args.batch):
        ids = list(range(first, min(first + args.batch, len(texts))))
        namespaces = [f"ns/{i % args.namespaces}" for i in ids]
        batch_texts = texts[first:ids[-1] + 1]
        batch_vectors = np.asarray(vectors[first:ids[-1] + 1])
        before = time.perf_counter()
        peer.add(ids, namespaces, batch_texts, batch_vectors)
        ingest += time.perf_counter() - before
        if time.perf_counter() - last > 30:
            print(f"memory_peers {args.lib}: {ids[-1] + 1} of {len(texts)} added, {int((ids[-1] + 1) / ingest)}/s", file=sys.stderr, flush=True)
            last = time.perf_counter()
    before = time.perf_counter()
    peer.finish()
    ingest += time.perf_counter() - before
    ingest_cpu = time.process_time() - cpu
    del start
    result = {"op": "run", "lib": args.lib, "count": len(texts), "batch": args.batch, "ingest_seconds": ingest,
              "ingest_cpu_seconds": ingest_cpu, "ingest_per_second": len(texts) / ingest, "rss_before_kib": rss_before,
              "queries": len(queries), "load_start": load_start}
    if getattr(peer, "index_seconds", 0):
        result["index_seconds"] = peer.index_seconds

    vector, answers = latency(len(queries), args.min_time, lambda q: peer.search(queries[q]))
    result["vector"] = vector
    result["recall"] = sum(len(set(found[:K]) & set(int(x) for x in truth[q])) for q, found in enumerate(answers)) / (K * len(answers))
    filtered, answers = latency(len(queries), args.min_time, lambda q: peer.search(queries[q], filter_ns))
    result["filtered"] = filtered
    if args.filtered_truth:
        want = np.fromfile(args.filtered_truth, "<i4").reshape(-1, K)
        result["filtered_recall"] = sum(len(set(found) & set(int(x) for x in want[q])) for q, found in enumerate(answers)) / (K * len(answers))
        result["filtered_wrong_namespace"] = sum(1 for found in answers for i in found if i % args.namespaces != args.filter_ns)
    result["hwm_kib"] = status_kib("VmHWM")
    # Close before measuring the folder and opening it elsewhere.
    if args.lib.startswith("sqlite-vec"):
        peer.db.close()
    del peer
    import gc
    gc.collect()
    result["disk_bytes"], result["apparent_bytes"] = disk_usage(args.path)

    spawn, probes = [], []
    for _ in range(args.probes):
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "probe", "--lib", args.lib, "--path", args.path,
                                  "--queries", query_file, "--dim", str(dim), "--max-queries", str(len(queries))],
                                 stdout=subprocess.PIPE, text=True)
        first = child.stdout.readline()
        spawn.append((time.perf_counter() - start) * 1000)
        merged = json.loads(first)
        for line in child.stdout:
            if line.strip():
                merged.update(json.loads(line))
        child.wait()
        probes.append(merged)
    median = lambda values: sorted(values)[len(values) // 2] if values else float("nan")
    result["spawn_first_ms"] = median(spawn)
    result["spawn_first_ms_all"] = spawn
    for key in ("open_first_ms", "open_ms", "import_ms", "hwm_kib", "first_rss_kib", "rss_anon_kib"):
        values = [p[key] for p in probes if key in p]
        if values:
            result[("probe_" if key in ("hwm_kib", "first_rss_kib", "rss_anon_kib") else "") + key] = median(values)
    result["load_end"] = loadavg()
    emit(result)


def cmd_probe(args):
    queries = queries_of(args.queries, args.dim)[:args.max_queries or None]
    peer = make(args.lib, args.path, args.dim)
    start = time.perf_counter()
    peer.module()
    imported = time.perf_counter()
    peer.open()
    opened = time.perf_counter()
    found = peer.search(queries[0])
    answered = time.perf_counter()
    emit({"op": "probe", "import_ms": (imported - start) * 1000, "open_ms": (opened - imported) * 1000,
          "open_first_ms": (answered - imported) * 1000, "hits": len(found), "first_rss_kib": status_kib("VmRSS")})
    for query in queries:
        peer.search(query)
    emit({"hwm_kib": status_kib("VmHWM"), "rss_anon_kib": status_kib("RssAnon")})


def cmd_synth(args):
    """count synthetic unit vectors, texts of 8-30 words from a 20,000-word made-up vocabulary
    (Zipf-like frequencies), queries, and the exact top-100 by inner product (float32 BLAS).

    --kind neighbours (the default; needs --base, the pydocs folder): each vector lies between a
    real passage's vector and one of its 10 nearest passages (w*a + (1-w)*b, w uniform in [0, 1]),
    plus Gaussian noise of norm about --noise (0.3), normalised; the queries are the base's real
    query vectors. This keeps the structure of real embeddings (a low intrinsic dimension): on
    100,000 such vectors hnswlib (M 16, efConstruction 100, ef 96) finds 0.94 of the top 10, and
    the nearest neighbour of a query is as close as in pydocs (cosine 0.67 on average).

    --kind random: N(0,1)^dim normalised, queries alike. Such vectors have no structure: every
    vector is nearly as far from a query as its nearest neighbour (cosine 0.23 against 0.06), so
    no approximate index finds the top 10 (hnswlib with the settings above: 0.06 of it at 200,000).
    It measures speed and size, not recall."""
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "ba", "do", "fe", "gu", "hi", "ja", "ko", "pu", "ri", "so", "tu"]
    vocabulary = sorted({"".join(rng.choice(syllables, size=rng.integers(2, 5))) for _ in range(30000)})[:20000]
    vocabulary = np.array(vocabulary)
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()

    def sentences(count, low, high):
        lengths = rng.integers(low, high + 1, size=count)
        words = rng.choice(len(vocabulary), size=int(lengths.sum()), p=weights)
        out, position = [], 0
        for length in lengths:
            out.append(" ".join(vocabulary[words[position:position + length]]))
            position += length
        return out

    if args.kind == "neighbours":
        if not args.base:
            sys.exit("synth: --kind neighbours needs --base (the pydocs folder)")
        base = np.array(vectors_of(args.base, args.dim))
        # The 10 nearest passages of every passage (itself excluded).
        nearest = np.zeros((len(base), 10), dtype=np.int64)
        for first in range(0, len(base), 2000):
            scores = base[first:first + 2000] @ base.T
            scores[np.arange(scores.shape[0]), np.arange(first, first + scores.shape[0])] = -np.inf
            nearest[first:first + 2000] = np.argpartition(-scores, 10, axis=1)[:, :10]

    def unit(count):
        if args.kind == "random":
            rows = rng.standard_normal((count, args.dim), dtype=np.float32)
        else:
            a = rng.integers(0, len(base), count)
            b = nearest[a, rng.integers(0, 10, count)]
            w = rng.random(count, dtype=np.float32)[:, None]
            rows = w * base[a] + (1 - w) * base[b]
            rows += rng.standard_normal((count, args.dim), dtype=np.float32) * np.float32(args.noise / np.sqrt(args.dim))
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        return rows

    step = 100_000
    vectors = np.lib.format.open_memmap(os.path.join(args.out, "vectors.npy"), mode="w+", dtype="<f4", shape=(args.count, args.dim))
    with open(os.path.join(args.out, "chunks.jsonl"), "w", encoding="utf-8") as chunks:
        for first in range(0, args.count, step):
            count = min(step, args.count - first)
            vectors[first:first + count] = unit(count)
            for offset, text in enumerate(sentences(count, 8, 30)):
                chunks.write(json.dumps({"id": first + offset, "source": "synthetic", "text": f"memory {first + offset}: {text}"}) + "\n")
    vectors.flush()
    if args.kind == "random":
        queries = unit(args.queries)
    else:
        queries = queries_of(os.path.join(args.base, "queries.f32"), args.dim)[:args.queries]
        args.queries = len(queries)
    with open(os.path.join(args.out, "queries.jsonl"), "w", encoding="utf-8") as handle:
        for number, text in enumerate(sentences(args.queries, 2, 5)):
            handle.write(json.dumps({"id": number, "text": text, "kind": "synthetic"}) + "\n")
    queries.tofile(os.path.join(args.out, "queries.f32"))
    best_scores = np.full((args.queries, 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((args.queries, 0), dtype=np.int64)
    for first in range(0, args.count, step):
        scores = queries @ vectors[first:first + step].T
        ids = np.broadcast_to(np.arange(first, first + scores.shape[1]), scores.shape)
        scores = np.concatenate([best_scores, scores], axis=1)
        ids = np.concatenate([best_ids, ids], axis=1)
        keep = np.argpartition(-scores, 100, axis=1)[:, :100] if scores.shape[1] > 100 else np.argsort(-scores, axis=1)
        best_scores = np.take_along_axis(scores, keep, axis=1)
        best_ids = np.take_along_axis(ids, keep, axis=1)
    order = np.argsort(-best_scores, axis=1, kind="stable")
    np.take_along_axis(best_ids, order, axis=1).astype("<i4").tofile(os.path.join(args.out, "truth-top100.i32"))
    # The raw float32 layout of pydocs (vectors.npy was the scratch file with a header).
    del vectors
    raw = np.load(os.path.join(args.out, "vectors.npy"), mmap_mode="r")
    with open(os.path.join(args.out, "vectors.f32"), "wb") as handle:
        for first in range(0, args.count, step):
            handle.write(np.ascontiguousarray(raw[first:first + step]).tobytes())
    del raw
    os.remove(os.path.join(args.out, "vectors.npy"))
    print(f"synth: {args.count} x {args.dim} in {args.out}", file=sys.stderr)


def cmd_prepare(args):
    """The exact top-10 of each query among the memories of the filtered namespace."""
    vectors = vectors_of(args.data, args.dim)
    queries = queries_of(os.path.join(args.data, "queries.f32"), args.dim)
    members = np.arange(args.filter_ns, len(vectors), args.namespaces)
    scores = queries @ np.asarray(vectors[members], dtype=np.float32).T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :K]
    members[top].astype("<i4").tofile(args.out)


# MARK: report

def fmt_rate(value):
    return f"{value:,.0f}/s"


def fmt_ms(value):
    if value is None:
        return ""
    return f"{value:.2f} ms" if value < 10 else f"{value:,.1f} ms" if value < 1000 else f"{value / 1000:,.2f} s"


def fmt_mib(kib):
    return "" if kib is None else f"{kib / 1024:,.0f} MiB"


def fmt_mb(count):
    return "" if count is None else f"{count / 1e6:,.1f} MB"


def cmd_report(args):
    rows = {}
    with open(args.results) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("{"):
                obj = json.loads(line)
                if obj.get("op") == "run":
                    rows[obj["lib"]] = obj
    ours = [lib for lib in rows if lib.startswith("mnemap")]
    peers = [lib for lib in rows if not lib.startswith("mnemap")]
    full = [lib for lib in ours if rows[lib].get("durability") == "full"]
    main = [lib for lib in ours if lib not in full]

    def get(row, path):
        value = row
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value

    # (label, key, formatter, higher is better)
    figures = [
        ("ingest (memories/s)", "ingest_per_second", fmt_rate, True),
        ("vector k=10 p50", "vector.p50_ms", fmt_ms, False),
        ("vector k=10 p99", "vector.p99_ms", fmt_ms, False),
        ("recall@10", "recall", lambda v: f"{v:.3f}", True),
        ("filtered 1% p50", "filtered.p50_ms", fmt_ms, False),
        ("filtered 1% p99", "filtered.p99_ms", fmt_ms, False),
        ("filtered recall@10", "filtered_recall", lambda v: f"{v:.3f}", True),
        ("hybrid p50", "hybrid.p50_ms", fmt_ms, False),
        ("hybrid p99", "hybrid.p99_ms", fmt_ms, False),
        ("text p50", "text.p50_ms", fmt_ms, False),
        ("text p99", "text.p99_ms", fmt_ms, False),
        ("open + first answer, new process (spawn to answer)", "spawn_first_ms", fmt_ms, False),
        ("open + first answer, in process", "open_first_ms", fmt_ms, False),
        ("disk (allocated)", "disk_bytes", fmt_mb, False),
        ("peak RSS, benchmark process (VmHWM)", "hwm_kib", fmt_mib, False),
        ("peak RSS, new process: open + 1 pass of the queries", "probe_hwm_kib", fmt_mib, False),
        ("  of which private (RssAnon at the end; the rest is shared page cache)", "probe_rss_anon_kib", fmt_mib, False),
    ]
    libs = main + peers
    lines = [f"**{args.title}**", "", "| figure | " + " | ".join(libs) + " | Mnemap / best peer |",
             "|---|" + "---:|" * (len(libs) + 1)]
    for label, key, formatter, higher in figures:
        values = {lib: get(rows[lib], key) for lib in libs}
        cells = [formatter(values[lib]) if values[lib] is not None else "–" for lib in libs]
        peer_values = [(values[lib], lib) for lib in peers if values[lib] is not None]
        ratio = ""
        if main and values[main[0]] is not None and peer_values:
            best, best_lib = max(peer_values) if higher else min(peer_values)
            mine = values[main[0]]
            if mine and best:
                ratio = f"{(mine / best if higher else best / mine):.{3 if key.endswith('recall') else 2}f}x ({best_lib})"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    if full:
        lines.append("")
        for lib in full:
            row = rows[lib]
            lines.append(f"{lib}: durability .full, batch {row['batch']}: {fmt_rate(row['ingest_per_second'])} "
                         f"({row['ingest_seconds']:.1f} s for {row['count']:,}; noSync: "
                         f"{fmt_rate(rows[main[0]]['ingest_per_second']) if main else '?'}).")
    lines.append("| load average (1 min) at start → end | " + " | ".join(
        f"{rows[lib].get('load_start', '?').split()[0]} → {rows[lib].get('load_end', '?').split()[0]}" for lib in libs) + " | |")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(text + "\n")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("synth")
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--kind", choices=["neighbours", "random"], default="neighbours")
    p.add_argument("--base", default="")
    p.add_argument("--noise", type=float, default=0.3)
    p = sub.add_parser("prepare")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--namespaces", type=int, default=100)
    p.add_argument("--filter-ns", type=int, default=42)
    p = sub.add_parser("run")
    p.add_argument("--lib", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--namespaces", type=int, default=100)
    p.add_argument("--filter-ns", type=int, default=42)
    p.add_argument("--filtered-truth")
    p.add_argument("--probes", type=int, default=5)
    p.add_argument("--min-time", type=float, default=3.0)
    p.add_argument("--max-queries", type=int, default=0)
    p = sub.add_parser("probe")
    p.add_argument("--lib", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--max-queries", type=int, default=0)
    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--title", default="")
    p.add_argument("--markdown")
    args = parser.parse_args()
    {"synth": cmd_synth, "prepare": cmd_prepare, "run": cmd_run, "probe": cmd_probe, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
