#define _GNU_SOURCE 1
#include "CMnemapShims.h"

#include <errno.h>
#include <time.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

int mnemap_futex_wait(uint32_t *address, uint32_t expected, int64_t timeout_ns) {
    struct timespec timeout;
    struct timespec *limit = NULL;
    if (timeout_ns >= 0) {
        timeout.tv_sec = (time_t)(timeout_ns / 1000000000);
        timeout.tv_nsec = (long)(timeout_ns % 1000000000);
        limit = &timeout;
    }
    long result = syscall(SYS_futex, address, FUTEX_WAIT, expected, limit, NULL, 0);
    if (result == -1 && errno == EAGAIN) return 0;  // the value had already changed
    return (int)result;
}

int mnemap_futex_wake(uint32_t *address, int count) {
    return (int)syscall(SYS_futex, address, FUTEX_WAKE, count, NULL, NULL, 0);
}
#else
int mnemap_futex_wait(uint32_t *address, uint32_t expected, int64_t timeout_ns) {
    (void)address; (void)expected; (void)timeout_ns;
    errno = ENOTSUP;
    return -1;
}

int mnemap_futex_wake(uint32_t *address, int count) {
    (void)address; (void)count;
    errno = ENOTSUP;
    return -1;
}
#endif
