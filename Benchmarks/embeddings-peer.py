"""sentence-transformers on PyTorch (CPU), measured as EmbeddingsBenchmarks measures MiniLMEmbedder.

    python embeddings-peer.py load  MODEL_DIR
        one model load in this (fresh) process: SentenceTransformer(MODEL_DIR) after `import torch,
        sentence_transformers` (timed apart), then the first vector of one short sentence.
    python embeddings-peer.py embed MODEL_DIR chunks.jsonl N BATCH OUT.f32 [REPEAT [THREADS]]
        the "text" of the first N lines, encoded in one call at batch BATCH (after a warm-up of one batch);
        with REPEAT, that many calls timed together (for short inputs such as queries); THREADS
        overrides the 2 threads.
Threads: torch.set_num_threads(2) (the Swift side uses both cores of the machine).
Prints one line of key=value pairs, including VmHWM (peak resident set, kB).
"""
import json
import sys
import time

t0 = time.perf_counter()
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

import_s = time.perf_counter() - t0
torch.set_num_threads(2)


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def report(**pairs):
    print(" ".join(f"{k}={v}" for k, v in pairs.items()), flush=True)


mode, folder = sys.argv[1], sys.argv[2]
if mode == "load":
    start = time.perf_counter()
    model = SentenceTransformer(folder, device="cpu")
    loaded = time.perf_counter()
    vector = model.encode(["How do I read a file line by line?"], batch_size=32)
    first = time.perf_counter()
    assert vector.shape == (1, 384)
    report(load_ms=f"{(loaded - start) * 1000:.2f}", first_vector_ms=f"{(first - loaded) * 1000:.2f}",
           import_ms=f"{import_s * 1000:.0f}", VmHWM_kB=status("VmHWM"),
           torch=torch.__version__, threads=torch.get_num_threads())
elif mode == "embed":
    passages, n, batch, out = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    repeats = max(1, int(sys.argv[7])) if len(sys.argv) > 7 else 1
    if len(sys.argv) > 8:
        torch.set_num_threads(int(sys.argv[8]))
    texts = []
    with open(passages, encoding="utf-8") as f:
        for line in f:
            if len(texts) == n:
                break
            texts.append(json.loads(line)["text"])
    assert len(texts) == n
    start = time.perf_counter()
    model = SentenceTransformer(folder, device="cpu")
    load_s = time.perf_counter() - start
    model.encode(texts[:batch], batch_size=batch)  # warm-up
    tokens = sum(min(len(ids), model.max_seq_length) for ids in model.tokenizer(texts, truncation=False)["input_ids"])
    with torch.inference_mode():
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            vectors = model.encode(texts, batch_size=batch, convert_to_numpy=True, normalize_embeddings=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    vectors.astype("<f4").tofile(out)
    with open("/proc/loadavg") as f:
        loadavg = f.read().split()[0]
    report(n=n, batch=batch, repeat=repeats, tokens=tokens, load_ms=f"{load_s * 1000:.2f}", seconds=f"{seconds:.3f}",
           sentences_per_s=f"{n * repeats / seconds:.2f}", tokens_per_s=f"{tokens * repeats / seconds:.0f}",
           cpu_s=f"{cpu:.3f}", sentences_per_cpu_s=f"{n * repeats / cpu:.2f}", loadavg=loadavg,
           VmHWM_kB=status("VmHWM"), RssAnon_kB=status("RssAnon"), RssFile_kB=status("RssFile"),
           torch=torch.__version__, threads=torch.get_num_threads(), max_seq_length=model.max_seq_length)
else:
    sys.exit(__doc__)
