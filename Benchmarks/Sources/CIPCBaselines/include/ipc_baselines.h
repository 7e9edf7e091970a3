// The baselines of the MappedJournal benchmarks, in C so that they cost what they cost in C:
// a shared-memory SPSC ring (the physical limit), a Unix domain socket, a pipe and a POSIX
// message queue. Every message starts with a sequence number (u64) and the producer's
// CLOCK_MONOTONIC send time (u64 ns); the consumer checks order and count.
#ifndef IPC_BASELINES_H
#define IPC_BASELINES_H
#include <stdint.h>
#include <stddef.h>

enum ipc_kind { IPC_RING = 0, IPC_UDS = 1, IPC_PIPE = 2, IPC_MQ = 3 };

/// CLOCK_MONOTONIC in nanoseconds.
uint64_t ipc_now_ns(void);

/// Pins the calling process to `cpu` (>= 0), or lets it run on every CPU (-1). 0 on success.
int ipc_pin(int cpu);

/// Busy-waits until CLOCK_MONOTONIC reaches `deadline_ns`.
void ipc_spin_until(uint64_t deadline_ns);

/// A channel endpoint. For RING: `name` is the shm name; UDS and PIPE: `fd`; MQ: `name`.
typedef struct ipc_channel {
    int kind;
    int fd;          // UDS/PIPE: the endpoint; MQ: the mqd
    int msg_size;
    void *region;    // RING: the mapping
    size_t region_size;
} ipc_channel;

/// Creates the channel in the parent (before spawning): the ring's shared memory, the socket
/// pair, the pipe, the message queue. `peer_fd` gets the descriptor the child must use (UDS,
/// PIPE), else -1. `name` names the ring's shm object or the queue. 0 on success, else errno.
int ipc_create(int kind, const char *name, int msg_size, ipc_channel *consumer_end, int *peer_fd);

/// Opens the producer end in the child. 0 on success, else errno.
int ipc_open_producer(int kind, const char *name, int fd, int msg_size, ipc_channel *producer_end);

/// Releases the channel (the parent also unlinks the name).
void ipc_close(ipc_channel *channel, const char *unlink_name);

/// Sends `count` messages. rate_per_second 0: as fast as possible; else paced by busy-waiting
/// on a schedule (message i at start + i / rate). Message 0's timestamp is the start time.
/// 0 on success, else errno.
int ipc_produce(ipc_channel *channel, uint64_t count, double rate_per_second);

/// Receives `count` messages, checking sequence numbers 0, 1, ... in order. When
/// `latencies_ns` is not NULL, stores receive time minus send time for each message.
/// `first_send_ns` gets message 0's send time, `last_send_ns` the last one's, `last_receive_ns` the time the last one arrived.
/// Returns 0, an errno, or -1 for a message out of order (then `*bad_seq` says which).
int ipc_consume(ipc_channel *channel, uint64_t count, uint64_t *latencies_ns,
                uint64_t *first_send_ns, uint64_t *last_send_ns, uint64_t *last_receive_ns, uint64_t *bad_seq);

/// The machine's jitter: reads CLOCK_MONOTONIC in a busy loop for `duration_ns` and reports
/// the gaps between consecutive reads: percentiles (10 ns resolution), the largest, how many
/// reads, and how many gaps exceeded 10 us and 100 us.
typedef struct ipc_jitter_result {
    uint64_t reads, p50_ns, p99_ns, p999_ns, p9999_ns, max_ns, over_10us, over_100us;
    /// The sum of the gaps over 10 us: time this process did not run (preempted, host steal).
    uint64_t lost_ns, elapsed_ns;
} ipc_jitter_result;
void ipc_jitter(uint64_t duration_ns, ipc_jitter_result *result);

#endif
