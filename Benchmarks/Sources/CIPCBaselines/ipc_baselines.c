#define _GNU_SOURCE
#include "ipc_baselines.h"
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t ipc_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ipc_pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu >= 0) {
        CPU_SET(cpu, &set);
    } else {
        long n = sysconf(_SC_NPROCESSORS_CONF);
        for (long i = 0; i < n && i < CPU_SETSIZE; i++) CPU_SET(i, &set);
    }
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : errno;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void ipc_spin_until(uint64_t deadline_ns) {
    while (ipc_now_ns() < deadline_ns) cpu_relax();
}

// ---- the ring: one producer index, one consumer index, each written by one side only ----
// Header: head (messages published) at +0, tail (messages consumed) at +64, slot count at +128;
// slots of msg_size bytes from +256.
// The ring's data area: MNEMAP_RING_BYTES (inherited by the producer), default 64 MiB, the size of a
// journal segment: on this oversubscribed 2-core machine a spinning pair loses whole scheduler
// slices, and only a large buffer lets the producer run on meanwhile (64 KiB..4 MiB rings measured
// 2x..10x slower).
static size_t ring_bytes(void) {
    const char *v = getenv("MNEMAP_RING_BYTES");
    size_t n = v ? (size_t)strtoull(v, NULL, 0) : 0;
    return n >= 4096 ? n : ((size_t)64 << 20);
}
#define RING_BYTES ring_bytes()
#define RING_DATA 256
typedef struct ring_header {
    _Atomic uint64_t head;
    char pad0[56];
    _Atomic uint64_t tail;
    char pad1[56];
    uint64_t slots;
} ring_header;

static int map_ring(const char *name, int create, int msg_size, ipc_channel *ch) {
    int fd = shm_open(name, create ? (O_CREAT | O_EXCL | O_RDWR) : O_RDWR, 0600);
    if (fd < 0) return errno;
    size_t size = RING_DATA + RING_BYTES;
    if (create && ftruncate(fd, (off_t)size) != 0) { int e = errno; close(fd); return e; }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return errno;
    ch->region = p;
    ch->region_size = size;
    if (create) {
        ring_header *h = p;
        atomic_store(&h->head, 0);
        atomic_store(&h->tail, 0);
        h->slots = RING_BYTES / (size_t)msg_size;
    }
    return 0;
}

int ipc_create(int kind, const char *name, int msg_size, ipc_channel *ch, int *peer_fd) {
    memset(ch, 0, sizeof *ch);
    ch->kind = kind;
    ch->fd = -1;
    ch->msg_size = msg_size;
    *peer_fd = -1;
    switch (kind) {
    case IPC_RING:
        shm_unlink(name);
        return map_ring(name, 1, msg_size, ch);
    case IPC_UDS: {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return errno;
        ch->fd = sv[0];
        *peer_fd = sv[1];
        return 0;
    }
    case IPC_PIPE: {
        int p[2];
        if (pipe(p) != 0) return errno;
        ch->fd = p[0];
        *peer_fd = p[1];
        return 0;
    }
    case IPC_MQ: {
        mq_unlink(name);
        long depth = 10;
        FILE *f = fopen("/proc/sys/fs/mqueue/msg_max", "r");
        if (f) { if (fscanf(f, "%ld", &depth) != 1) depth = 10; fclose(f); }
        struct mq_attr attr = { .mq_flags = 0, .mq_maxmsg = depth, .mq_msgsize = msg_size, .mq_curmsgs = 0 };
        mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDONLY, 0600, &attr);
        if (q == (mqd_t)-1) return errno;
        ch->fd = (int)q;
        return 0;
    }
    }
    return EINVAL;
}

int ipc_open_producer(int kind, const char *name, int fd, int msg_size, ipc_channel *ch) {
    memset(ch, 0, sizeof *ch);
    ch->kind = kind;
    ch->fd = -1;
    ch->msg_size = msg_size;
    switch (kind) {
    case IPC_RING:
        return map_ring(name, 0, msg_size, ch);
    case IPC_UDS:
    case IPC_PIPE:
        ch->fd = fd;
        return 0;
    case IPC_MQ: {
        mqd_t q = mq_open(name, O_WRONLY);
        if (q == (mqd_t)-1) return errno;
        ch->fd = (int)q;
        return 0;
    }
    }
    return EINVAL;
}

void ipc_close(ipc_channel *ch, const char *unlink_name) {
    switch (ch->kind) {
    case IPC_RING:
        if (ch->region) munmap(ch->region, ch->region_size);
        if (unlink_name) shm_unlink(unlink_name);
        break;
    case IPC_UDS:
    case IPC_PIPE:
        if (ch->fd >= 0) close(ch->fd);
        break;
    case IPC_MQ:
        if (ch->fd >= 0) mq_close((mqd_t)ch->fd);
        if (unlink_name) mq_unlink(unlink_name);
        break;
    }
    ch->fd = -1;
    ch->region = NULL;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; return errno; }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, char *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0) { if (errno == EINTR) continue; return errno; }
        if (r == 0) return EPIPE;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int ipc_produce(ipc_channel *ch, uint64_t count, double rate) {
    size_t size = (size_t)ch->msg_size;
    char *msg = malloc(size);
    if (!msg) return ENOMEM;
    for (size_t i = 0; i < size; i++) msg[i] = (char)(i * 31 + 7);
    uint64_t start = ipc_now_ns();
    double period = rate > 0 ? 1e9 / rate : 0;
    ring_header *h = ch->region;
    char *slots = ch->region ? (char *)ch->region + RING_DATA : NULL;
    uint64_t nslots = h ? h->slots : 0, cached_tail = 0;
    int err = 0;
    for (uint64_t i = 0; i < count && err == 0; i++) {
        if (period > 0) ipc_spin_until(start + (uint64_t)(period * (double)i));
        uint64_t now = i == 0 ? start : ipc_now_ns();
        memcpy(msg, &i, 8);
        memcpy(msg + 8, &now, 8);
        switch (ch->kind) {
        case IPC_RING:
            while (i - cached_tail >= nslots) {
                cached_tail = atomic_load_explicit(&h->tail, memory_order_acquire);
                if (i - cached_tail >= nslots) cpu_relax();
            }
            memcpy(slots + (i % nslots) * size, msg, size);
            atomic_store_explicit(&h->head, i + 1, memory_order_release);
            break;
        case IPC_UDS:
        case IPC_PIPE:
            err = write_all(ch->fd, msg, size);
            break;
        case IPC_MQ:
            while (mq_send((mqd_t)ch->fd, msg, size, 0) != 0) {
                if (errno != EINTR) { err = errno; break; }
            }
            break;
        }
    }
    free(msg);
    return err;
}

int ipc_consume(ipc_channel *ch, uint64_t count, uint64_t *lat, uint64_t *first_send, uint64_t *last_send, uint64_t *last_receive, uint64_t *bad_seq) {
    size_t size = (size_t)ch->msg_size;
    char *msg = malloc(size < 8192 ? 8192 : size);
    if (!msg) return ENOMEM;
    ring_header *h = ch->region;
    char *slots = ch->region ? (char *)ch->region + RING_DATA : NULL;
    uint64_t nslots = h ? h->slots : 0, cached_head = 0;
    int err = 0;
    uint64_t now = 0, last_sent = 0;
    for (uint64_t i = 0; i < count; i++) {
        switch (ch->kind) {
        case IPC_RING:
            while (cached_head <= i) {
                cached_head = atomic_load_explicit(&h->head, memory_order_acquire);
                if (cached_head <= i) cpu_relax();
            }
            memcpy(msg, slots + (i % nslots) * size, size);
            atomic_store_explicit(&h->tail, i + 1, memory_order_release);
            break;
        case IPC_UDS:
        case IPC_PIPE:
            err = read_all(ch->fd, msg, size);
            break;
        case IPC_MQ: {
            ssize_t r;
            while ((r = mq_receive((mqd_t)ch->fd, msg, size < 8192 ? 8192 : size, NULL)) < 0 && errno == EINTR) {}
            if (r < 0) err = errno;
            else if ((size_t)r != size) err = EMSGSIZE;
            break;
        }
        }
        if (err) { free(msg); return err; }
        now = ipc_now_ns();
        uint64_t seq, sent;
        memcpy(&seq, msg, 8);
        memcpy(&sent, msg + 8, 8);
        if (seq != i) { *bad_seq = seq; free(msg); return -1; }
        if (i == 0) *first_send = sent;
        last_sent = sent;
        if (lat) lat[i] = now - sent;
    }
    *last_receive = now;
    *last_send = last_sent;
    free(msg);
    return 0;
}

#define JITTER_BUCKETS 100000  /* 10 ns each: up to 1 ms */
void ipc_jitter(uint64_t duration_ns, ipc_jitter_result *r) {
    uint64_t *hist = calloc(JITTER_BUCKETS + 1, sizeof(uint64_t));
    memset(r, 0, sizeof *r);
    if (!hist) return;
    uint64_t start = ipc_now_ns(), prev = start, end = start + duration_ns;
    while (prev < end) {
        uint64_t t = ipc_now_ns();
        uint64_t gap = t - prev;
        prev = t;
        uint64_t b = gap / 10;
        hist[b > JITTER_BUCKETS ? JITTER_BUCKETS : b]++;
        if (gap > r->max_ns) r->max_ns = gap;
        if (gap > 10000) { r->over_10us++; r->lost_ns += gap; }
        if (gap > 100000) r->over_100us++;
        r->reads++;
    }
    r->elapsed_ns = prev - start;
    uint64_t targets[4] = { r->reads / 2, r->reads - r->reads / 100, r->reads - r->reads / 1000, r->reads - r->reads / 10000 };
    uint64_t *outs[4] = { &r->p50_ns, &r->p99_ns, &r->p999_ns, &r->p9999_ns };
    uint64_t seen = 0;
    int k = 0;
    for (uint64_t b = 0; b <= JITTER_BUCKETS && k < 4; b++) {
        seen += hist[b];
        while (k < 4 && seen >= targets[k]) { *outs[k] = b == JITTER_BUCKETS ? r->max_ns : b * 10; k++; }
    }
    free(hist);
}
