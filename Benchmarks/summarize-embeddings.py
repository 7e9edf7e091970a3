"""Reads the results of run-embeddings.sh (a folder of key=value lines and vectors) and prints the
table, the agreement of the vectors and the targets. Needs numpy (the peer's virtual environment has it).

    python summarize-embeddings.py RESULTS_DIR [DATASET_VECTORS.f32 [DATASET_QUERY_VECTORS.f32]]
"""
import statistics
import sys
from pathlib import Path

import numpy as np

results = Path(sys.argv[1])
reference = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
query_reference = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None


def lines(name):
    path = results / name
    if not path.exists():
        return []
    return [dict(pair.split("=", 1) for pair in line.split()) for line in path.read_text().splitlines()
            if "=" in line]


def median(rows, key):
    return statistics.median(float(row[key]) for row in rows)


swift_load, torch_load = lines("swift-load.txt"), lines("torch-load.txt")
swift_embed, torch_embed = lines("swift-embed.txt"), lines("torch-embed.txt")
swift_queries, torch_queries = lines("swift-queries.txt"), lines("torch-queries.txt")
swift_queries1, torch_queries1 = lines("swift-queries-batch1.txt"), lines("torch-queries-batch1.txt")
torch_queries_1t, torch_queries1_1t = lines("torch-queries-1thread.txt"), lines("torch-queries-batch1-1thread.txt")


def spread(rows, key):
    values = sorted(float(row[key]) for row in rows)
    return f"median of {len(values)}, {values[0]:.1f}–{values[-1]:.1f}"


table = []
if swift_load and torch_load:
    s, t = median(swift_load, "load_ms"), median(torch_load, "load_ms")
    table.append(("model load, fresh process (ms)", f"{s:.1f}", f"{t:.1f}", f"{t / s:.1f}x faster",
                  f"Swift {spread(swift_load, 'load_ms')}; PyTorch {spread(torch_load, 'load_ms')}, "
                  f"plus `import torch, sentence_transformers` {median(torch_load, 'import_ms'):.0f} ms"))
    s, t = median(swift_load, "first_vector_ms"), median(torch_load, "first_vector_ms")
    table.append(("first vector after load, 1 short sentence (ms)", f"{s:.1f}", f"{t:.1f}", f"{t / s:.1f}x faster",
                  "Swift reads the mapped weight pages here"))
    s, t = median(swift_load, "VmHWM_kB") / 1024, median(torch_load, "VmHWM_kB") / 1024
    table.append(("peak RSS after load + 1 vector (MiB)", f"{s:.0f}", f"{t:.0f}", f"{t / s:.1f}x less", "VmHWM"))
if swift_embed and torch_embed:
    s, t = median(swift_embed, "sentences_per_s"), median(torch_embed, "sentences_per_s")
    n, tokens = swift_embed[0]["n"], swift_embed[0]["tokens"]
    table.append((f"sentences/s, {n} passages, batch 32, 2 threads", f"{s:.2f}", f"{t:.2f}", f"{s / t:.2f}x",
                  f"{len(swift_embed)} run(s) each, median; {tokens} tokens ({int(tokens) / int(n):.0f}/passage)"))
    if "sentences_per_cpu_s" in swift_embed[0] and "sentences_per_cpu_s" in torch_embed[0]:
        s, t = median(swift_embed, "sentences_per_cpu_s"), median(torch_embed, "sentences_per_cpu_s")
        table.append(("sentences per CPU-second (same run)", f"{s:.2f}", f"{t:.2f}", f"{s / t:.2f}x",
                      "user + system time of the process: less sensitive to the other work on the machine"))
    s, t = median(swift_embed, "tokens_per_s"), median(torch_embed, "tokens_per_s")
    table.append(("tokens/s (same run)", f"{s:.0f}", f"{t:.0f}", f"{s / t:.2f}x", "tokens after truncation to 256, [CLS]/[SEP] included"))
    if swift_queries and torch_queries:
        s, t = median(swift_queries, "sentences_per_s"), median(torch_queries, "sentences_per_s")
        n, tokens, r = swift_queries[0]["n"], swift_queries[0]["tokens"], swift_queries[0].get("repeat", "1")
        table.append((f"queries/s, {n} short queries, batch 32, 2 threads", f"{s:.1f}", f"{t:.1f}", f"{s / t:.2f}x",
                      f"{len(swift_queries)} run(s) each of {r} call(s) over all queries, median; {tokens} tokens ({int(tokens) / int(n):.1f}/query)"))
        s, t = median(swift_queries, "sentences_per_cpu_s"), median(torch_queries, "sentences_per_cpu_s")
        table.append(("queries per CPU-second (same run)", f"{s:.1f}", f"{t:.1f}", f"{s / t:.2f}x", ""))
        if torch_queries_1t:
            s, t = median(swift_queries, "sentences_per_s"), median(torch_queries_1t, "sentences_per_s")
            table.append(("queries/s, batch 32, PyTorch on 1 thread", f"{s:.1f}", f"{t:.1f}", f"{s / t:.2f}x",
                          "Mnemap still on 2 threads; PyTorch's 2 OpenMP threads lose to 1 on a busy machine"))
    if swift_queries1 and torch_queries1:
        s, t = median(swift_queries1, "sentences_per_s"), median(torch_queries1, "sentences_per_s")
        table.append((f"queries/s at batch 1 (one query per forward pass)", f"{s:.1f}", f"{t:.1f}", f"{s / t:.2f}x",
                      f"{len(swift_queries1)} run(s) each, median; {1000 / s:.2f} ms against {1000 / t:.2f} ms per query"))
        s, t = median(swift_queries1, "sentences_per_cpu_s"), median(torch_queries1, "sentences_per_cpu_s")
        table.append(("queries per CPU-second at batch 1 (same run)", f"{s:.1f}", f"{t:.1f}", f"{s / t:.2f}x", ""))
        if torch_queries1_1t:
            s, t = median(swift_queries1, "sentences_per_s"), median(torch_queries1_1t, "sentences_per_s")
            table.append(("queries/s, batch 1, PyTorch on 1 thread", f"{s:.1f}", f"{t:.1f}", f"{s / t:.2f}x",
                          f"{1000 / s:.2f} ms against {1000 / t:.2f} ms per query"))
    s, t = max(float(r["VmHWM_kB"]) for r in swift_embed) / 1024, max(float(r["VmHWM_kB"]) for r in torch_embed) / 1024
    sa, sf = float(swift_embed[-1]["RssAnon_kB"]) / 1024, float(swift_embed[-1]["RssFile_kB"]) / 1024
    ta, tf = float(torch_embed[-1]["RssAnon_kB"]) / 1024, float(torch_embed[-1]["RssFile_kB"]) / 1024
    table.append(("peak RSS, embedding run (MiB)", f"{s:.0f}", f"{t:.0f}", f"{t / s:.1f}x less",
                  f"VmHWM; at the end anon/file: Swift {sa:.0f}/{sf:.0f}, PyTorch {ta:.0f}/{tf:.0f}"))

runs = []
for i, (a, b) in enumerate(zip(swift_embed, torch_embed)):
    row = [f"{i + 1}", f"{a['sentences_per_s']} ({a.get('loadavg', '?')})", f"{b['sentences_per_s']} ({b.get('loadavg', '?')})"]
    for sq, tq in ((swift_queries, torch_queries), (swift_queries1, torch_queries1)):
        if i < len(sq) and i < len(tq):
            qa, qb = sq[i], tq[i]
            row += [f"{qa['sentences_per_s']} ({qa.get('loadavg', '?')})", f"{qb['sentences_per_s']} ({qb.get('loadavg', '?')})"]
    runs.append(row)

print("| measure | Mnemap (Swift) | PyTorch sentence-transformers | Mnemap vs PyTorch | notes |")
print("| --- | ---: | ---: | ---: | --- |")
for row in table:
    print("| " + " | ".join(row) + " |")
print()
if runs:
    print("Per run (passages/s and queries/s; in parentheses the 1-minute load average at the end of the timed call):")
    print()
    print("| run | Mnemap passages/s | PyTorch passages/s | Mnemap queries/s | PyTorch queries/s | Mnemap queries/s, batch 1 | PyTorch queries/s, batch 1 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in runs:
        print("| " + " | ".join(row + [""] * (7 - len(row))) + " |")
    print()

targets = []
if swift_load:
    s = median(swift_load, "load_ms")
    targets.append(("PASS" if s < 50 else "MISS", f"model load {s:.1f} ms (target: under 50 ms)"))
if swift_embed and torch_embed:
    ratio = median(swift_embed, "sentences_per_s") / median(torch_embed, "sentences_per_s")
    targets.append(("PASS" if ratio >= 1.0 else "MISS", f"sentences/s at batch 32: {ratio:.2f}x PyTorch (target: at least 1.0x)"))
for label, swift_rows, torch_rows, torch_rows_1t in (("batch 32", swift_queries, torch_queries, torch_queries_1t),
                                                     ("batch 1", swift_queries1, torch_queries1, torch_queries1_1t)):
    if swift_rows and torch_rows:
        peer = median(torch_rows, "sentences_per_s")
        which = "2 threads"
        if torch_rows_1t and median(torch_rows_1t, "sentences_per_s") > peer:
            peer, which = median(torch_rows_1t, "sentences_per_s"), "1 thread, its faster setting here"
        ratio = median(swift_rows, "sentences_per_s") / peer
        targets.append(("PASS" if ratio >= 1.0 else "MISS", f"queries/s at {label}: {ratio:.2f}x PyTorch on {which} (target: at least 1.0x)"))

swift_vectors, torch_vectors = results / "swift-vectors.f32", results / "torch-vectors.f32"
if swift_vectors.exists() and torch_vectors.exists():
    a = np.fromfile(swift_vectors, "<f4").reshape(-1, 384)
    b = np.fromfile(torch_vectors, "<f4").reshape(-1, 384)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    worst = float(cos.min())
    line = (f"vectors: all {len(cos)} passages compared, cosine Swift vs PyTorch min {worst:.7f}, "
            f"mean {float(cos.mean()):.7f}, max |difference| {float(np.abs(a - b).max()):.2e}")
    if reference:
        r = np.fromfile(reference, "<f4").reshape(-1, 384)[: len(a)]
        line += (f"; against the dataset's vectors.f32: Swift min {float((a * r).sum(1).min()):.7f}, "
                 f"PyTorch min {float((b * r).sum(1).min()):.7f}")
    print(line)
    targets.append(("PASS" if worst >= 0.9999 else "MISS", f"same vectors: min cosine {worst:.7f} (required: at least 0.9999)"))

for label, suffix in (("query vectors, batch 32", "query"), ("query vectors, batch 1", "query1")):
    swift_qv, torch_qv = results / f"swift-{suffix}-vectors.f32", results / f"torch-{suffix}-vectors.f32"
    if not (swift_qv.exists() and torch_qv.exists()):
        continue
    a = np.fromfile(swift_qv, "<f4").reshape(-1, 384)
    b = np.fromfile(torch_qv, "<f4").reshape(-1, 384)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    line = f"{label}: all {len(cos)} compared, cosine Swift vs PyTorch min {float(cos.min()):.7f}"
    if query_reference:
        r = np.fromfile(query_reference, "<f4").reshape(-1, 384)[: len(a)]
        an = a / np.linalg.norm(a, axis=1, keepdims=True)
        line += f"; against the dataset's queries.f32: Swift min {float((an * r).sum(1).min()):.7f}"
    print(line)
    worst_q = float(cos.min())
    targets.append(("PASS" if worst_q >= 0.9999 else "MISS", f"same {label}: min cosine {worst_q:.7f} (required: at least 0.9999)"))

print()
print("Targets:")
for verdict, text in targets:
    print(f"  {verdict}  {text}")
