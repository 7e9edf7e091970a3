#!/usr/bin/env python3
"""The data, the ingest client and the report of `run-server.sh` (Mnemap's HTTP server, and Chroma's).

    server_load.py prepare --data PYDOCS --count 100000 --out DIR
        Makes COUNT memories from the pydocs passages and vectors: memory i is passage i % 15,134
        (its text, plus " [copy k]" past the first round) with that passage's vector plus Gaussian
        noise of norm about 0.3, normalised (numpy seed 42); namespace ns/<i % 100>. Writes the
        request bodies both servers get, in the shapes of their own APIs:
          mnemap-batches/NNNN.json  POST /v1/memories/batch, 1,000 memories with their vectors
          chroma-batches/NNNN.json  POST .../collections/{id}/add, the same 1,000
          mnemap-search.txt         POST /v1/search, one body a line: a pydocs query's vector, mode
                                    vector, limit 10 (300 lines)
          mnemap-hybrid.txt         the same with the query's text too, mode hybrid
          chroma-query.txt          POST .../query: the same vectors, n_results 10, with documents,
                                    metadatas and distances (what Mnemap's hits carry)
          mnemap-add.txt            POST /v1/memories: one memory, its text holding "@@", which the
                                    wrk script replaces by a unique tag so that every add is new
          chroma-add.txt            POST .../add: the same, its id and text holding "@@"
    server_load.py ingest --url URL --dir DIR [--expect-added]
        POSTs every body of DIR in order, one at a time, and prints one JSON line: memories, seconds,
        memories per second. Fails on any answer but 2xx (and, with --expect-added, on a Mnemap
        batch that did not add all its memories).
    server_load.py chroma-collection --url URL
        Creates the collection `bench` (cosine, HNSW defaults: M 16, ef_construction 100,
        ef_search 100) on a Chroma server and prints its id.
    server_load.py check --url URL --path PATH --body FILE --hits-key KEY
        Sends the first body of FILE and checks the answer holds 10 hits (KEY: hits or ids).
    server_load.py report --results FILE [--markdown OUT]
        The table of a run: one row per figure, a column per server, the ratio Mnemap / Chroma.
"""

import argparse
import json
import os
import sys
import time
import urllib.request

DIMENSION = 384
BATCH = 1000


def floats(vector):
    return "[" + ",".join(f"{x:.6g}" for x in vector) + "]"


def prepare(args):
    import numpy as np

    vectors = np.fromfile(os.path.join(args.data, "vectors.f32"), "<f4").reshape(-1, DIMENSION)
    chunks = [json.loads(line) for line in open(os.path.join(args.data, "chunks.jsonl"), encoding="utf-8")]
    queries = [json.loads(line) for line in open(os.path.join(args.data, "queries.jsonl"), encoding="utf-8")]
    query_vectors = np.fromfile(os.path.join(args.data, "queries.f32"), "<f4").reshape(-1, DIMENSION)
    base = len(chunks)
    rng = np.random.default_rng(42)
    os.makedirs(os.path.join(args.out, "mnemap-batches"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "chroma-batches"), exist_ok=True)

    def memory(i, vector):
        copy = i // base
        text = chunks[i % base]["text"] + (f" [copy {copy}]" if copy else "")
        return text, f"ns/{i % 100}", vector

    def noisy(rows):
        noise = rng.standard_normal((len(rows), DIMENSION)).astype(np.float32) * (0.3 / DIMENSION**0.5)
        out = vectors[rows] + noise
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    for start in range(0, args.count, BATCH):
        indices = list(range(start, min(start + BATCH, args.count)))
        made = noisy([i % base for i in indices])
        items = [memory(i, made[k]) for k, i in enumerate(indices)]
        number = start // BATCH
        with open(os.path.join(args.out, "mnemap-batches", f"{number:04d}.json"), "w", encoding="utf-8") as out:
            out.write('{"memories":[')
            out.write(",".join(
                '{"text":%s,"namespace":"%s","vector":%s}' % (json.dumps(text), namespace, floats(vector))
                for text, namespace, vector in items
            ))
            out.write("]}")
        with open(os.path.join(args.out, "chroma-batches", f"{number:04d}.json"), "w", encoding="utf-8") as out:
            out.write('{"ids":%s,' % json.dumps([str(i) for i in indices]))
            out.write('"embeddings":[' + ",".join(floats(vector) for _, _, vector in items) + "],")
            out.write('"documents":%s,' % json.dumps([text for text, _, _ in items]))
            out.write('"metadatas":%s}' % json.dumps([{"namespace": namespace} for _, namespace, _ in items]))

    with open(os.path.join(args.out, "mnemap-search.txt"), "w") as vector_out, \
            open(os.path.join(args.out, "mnemap-hybrid.txt"), "w") as hybrid_out, \
            open(os.path.join(args.out, "chroma-query.txt"), "w") as chroma_out:
        for query, vector in zip(queries, query_vectors):
            vector_out.write('{"vector":%s,"mode":"vector","limit":10}\n' % floats(vector))
            hybrid_out.write('{"query":%s,"vector":%s,"mode":"hybrid","limit":10}\n' % (json.dumps(query["text"]), floats(vector)))
            chroma_out.write('{"query_embeddings":[%s],"n_results":10,"include":["documents","metadatas","distances"]}\n' % floats(vector))

    # Single adds: 1,000 templates past the prepared memories, each made unique by the load script.
    extra = noisy([(args.count + k) % base for k in range(BATCH)])
    with open(os.path.join(args.out, "mnemap-add.txt"), "w") as mnemap_out, \
            open(os.path.join(args.out, "chroma-add.txt"), "w") as chroma_out:
        for k in range(BATCH):
            text = chunks[(args.count + k) % base]["text"] + " [load @@]"
            namespace = f"ns/{k % 100}"
            mnemap_out.write('{"text":%s,"namespace":"%s","vector":%s}\n' % (json.dumps(text), namespace, floats(extra[k])))
            chroma_out.write('{"ids":["load-@@"],"embeddings":[%s],"documents":[%s],"metadatas":[{"namespace":"%s"}]}\n'
                             % (floats(extra[k]), json.dumps(text), namespace))
    print(f"prepared {args.count} memories in {args.out}", file=sys.stderr)


def post(url, body):
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.status, response.read()


def ingest(args):
    names = sorted(name for name in os.listdir(args.dir) if name.endswith(".json"))
    memories = 0
    elapsed = 0.0
    for name in names:
        with open(os.path.join(args.dir, name), "rb") as source:
            body = source.read()
        started = time.perf_counter()
        status, answer = post(args.url, body)
        elapsed += time.perf_counter() - started
        if not 200 <= status < 300:
            sys.exit(f"ingest: {name}: status {status}: {answer[:300]!r}")
        sent = json.loads(body)
        count = len(sent["memories"]) if "memories" in sent else len(sent["ids"])
        if args.expect_added:
            added = json.loads(answer)["added"]
            if added != count:
                sys.exit(f"ingest: {name}: {added} of {count} memories added: {answer[:300]!r}")
        memories += count
    print(json.dumps({"memories": memories, "seconds": round(elapsed, 3), "perSecond": round(memories / elapsed, 1)}))


def chroma_collection(args):
    import chromadb

    host, port = args.url.split("//")[1].split(":")
    client = chromadb.HttpClient(host=host, port=int(port))
    collection = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
    print(collection.id)


def check(args):
    with open(args.body, "rb") as source:
        body = source.readline().strip()
    status, answer = post(args.url + args.path, body)
    result = json.loads(answer)
    hits = result[args.hits_key]
    if args.hits_key == "ids":
        hits = hits[0]
    if status != 200 or len(hits) != 10:
        sys.exit(f"check: {args.path}: status {status}, {len(hits)} hits: {answer[:300]!r}")
    print(f"check: {args.path}: 10 hits", file=sys.stderr)


FIGURES = [
    ("ingest", "batch adds, 1,000 a request, one client (memories/s)"),
    ("search-1", "vector search k=10, 1 client"),
    ("search-8", "vector search k=10, 8 clients"),
    ("search-64", "vector search k=10, 64 clients"),
    ("hybrid-1", "hybrid search k=10 (vector + BM25), 1 client"),
    ("hybrid-8", "hybrid search k=10 (vector + BM25), 8 clients"),
    ("hybrid-64", "hybrid search k=10 (vector + BM25), 64 clients"),
    ("add-1", "single adds, 1 client"),
    ("add-8", "single adds, 8 clients"),
    ("add-64", "single adds, 64 clients"),
    ("peak-rss", "peak RSS of the server (MiB)"),
    ("disk", "store on disk after the run (MB)"),
]


def report(args):
    results = {}
    for line in open(args.results, encoding="utf-8"):
        if line.strip():
            record = json.loads(line)
            results[(record["server"], record["figure"])] = record
    servers = [name for name in ("mnemap", "chroma") if any(server == name for server, _ in results)]

    def cell(record, figure):
        if record is None:
            return "–"
        if figure == "ingest":
            return f"{record['perSecond']:,.0f}/s"
        if figure == "peak-rss":
            return f"{record['mib']:,} MiB"
        if figure == "disk":
            return f"{record['mb']:,.1f} MB"
        errors = f", {record['errors']} errors" if record.get("errors") else ""
        return f"{record['rps']:,.0f} req/s; p50 {record['p50']:.2f} / p99 {record['p99']:.2f} ms{errors}"

    def ratio(figure):
        mnemap, chroma = results.get(("mnemap", figure)), results.get(("chroma", figure))
        if mnemap is None or chroma is None:
            return ""
        if figure in ("peak-rss", "disk"):
            key = "mib" if figure == "peak-rss" else "mb"
            return f"{chroma[key] / mnemap[key]:.2f}x"
        key = "perSecond" if figure == "ingest" else "rps"
        text = f"{mnemap[key] / chroma[key]:.2f}x"
        if figure != "ingest":
            text += f" (p99 {chroma['p99'] / mnemap['p99']:.2f}x)"
        return text

    lines = ["| figure | " + " | ".join(servers) + (" | Mnemap / Chroma |" if len(servers) > 1 else " |"),
             "|---|" + "---:|" * len(servers) + ("---:|" if len(servers) > 1 else "")]
    for figure, title in FIGURES:
        if not any((server, figure) in results for server in servers):
            continue
        row = f"| {title} | " + " | ".join(cell(results.get((server, figure)), figure) for server in servers)
        row += f" | {ratio(figure)} |" if len(servers) > 1 else " |"
        lines.append(row)
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as out:
            out.write(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare")
    p.add_argument("--data", required=True)
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--out", required=True)
    p = commands.add_parser("ingest")
    p.add_argument("--url", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--expect-added", action="store_true")
    p = commands.add_parser("chroma-collection")
    p.add_argument("--url", required=True)
    p = commands.add_parser("check")
    p.add_argument("--url", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--hits-key", required=True)
    p = commands.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--markdown")
    args = parser.parse_args()
    {"prepare": prepare, "ingest": ingest, "chroma-collection": chroma_collection, "check": check, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
