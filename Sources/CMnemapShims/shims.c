#define _GNU_SOURCE 1
#include "CMnemapShims.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *mnemap_mremap(void *old_address, size_t old_size, size_t new_size, int may_move) {
#if defined(__linux__)
    return mremap(old_address, old_size, new_size, may_move ? MREMAP_MAYMOVE : 0);
#else
    (void)old_address; (void)old_size; (void)new_size; (void)may_move;
    errno = ENOTSUP;
    return MAP_FAILED;
#endif
}

int mnemap_file_lock_is_ofd(void) {
#if defined(F_OFD_SETLK)
    return 1;
#else
    return 0;
#endif
}

int mnemap_file_lock(int fd, int kind, int64_t start, int64_t length, int wait) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    switch (kind) {
    case MNEMAP_LOCK_SHARED: fl.l_type = F_RDLCK; break;
    case MNEMAP_LOCK_EXCLUSIVE: fl.l_type = F_WRLCK; break;
    default: fl.l_type = F_UNLCK; break;
    }
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)start;
    fl.l_len = (off_t)length;
    fl.l_pid = 0; // required to be 0 for OFD locks
#if defined(F_OFD_SETLK)
    int cmd = wait ? F_OFD_SETLKW : F_OFD_SETLK;
#else
    int cmd = wait ? F_SETLKW : F_SETLK;
#endif
    return fcntl(fd, cmd, &fl);
}

int mnemap_allocate(int fd, int64_t offset, int64_t length) {
#if defined(__APPLE__)
    fstore_t store;
    memset(&store, 0, sizeof store);
    store.fst_flags = F_ALLOCATECONTIG | F_ALLOCATEALL;
    store.fst_posmode = F_PEOFPOSMODE;
    store.fst_offset = 0;
    store.fst_length = (off_t)(offset + length);
    if (fcntl(fd, F_PREALLOCATE, &store) == -1) {
        store.fst_flags = F_ALLOCATEALL;
        if (fcntl(fd, F_PREALLOCATE, &store) == -1) return errno;
    }
    return 0;
#else
    return posix_fallocate(fd, (off_t)offset, (off_t)length);
#endif
}

int mnemap_full_fsync(int fd) {
#if defined(__APPLE__)
    if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
    // Some file systems (network, FUSE) do not support F_FULLFSYNC.
    if (errno == ENOTSUP || errno == EINVAL) return fsync(fd);
    return -1;
#else
    return fsync(fd);
#endif
}

int mnemap_fadvise_dontneed(int fd, int64_t offset, int64_t length) {
#if defined(POSIX_FADV_DONTNEED)
    return posix_fadvise(fd, (off_t)offset, (off_t)length, POSIX_FADV_DONTNEED);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

// MARK: - SIGBUS guard
//
// Instead of siglongjmp (which would skip Swift frames, their releases and
// their cleanups), the handler makes the faulting access succeed: it maps a
// private zero page over the faulting page and returns. The guarded code runs
// to its end, then the caller learns that a fault happened, restores the file
// mapping over the patched pages and throws.

struct guard_state {
    int depth;
    uintptr_t start;
    uintptr_t end;
    unsigned long faults;
    uintptr_t first_page;
    uintptr_t last_page;
};

static __thread struct guard_state guard __attribute__((tls_model("initial-exec")));
static struct sigaction previous_action;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_result = 0;
static uintptr_t page_mask = 0;

static void pass_to_previous(int signo, siginfo_t *info, void *context) {
    if ((previous_action.sa_flags & SA_SIGINFO) && previous_action.sa_sigaction) {
        previous_action.sa_sigaction(signo, info, context);
        return;
    }
    if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(signo);
        return;
    }
    // Default: restore it and return; the faulting instruction runs again and
    // the process dies of SIGBUS, exactly as without Mnemap.
    signal(signo, SIG_DFL);
}

static void on_sigbus(int signo, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    if (guard.depth > 0 && info->si_code == BUS_ADRERR &&
        address >= guard.start && address < guard.end) {
        uintptr_t page = address & page_mask;
        void *patched = mmap((void *)page, ~page_mask + 1, PROT_READ | PROT_WRITE,
                             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (patched != MAP_FAILED) {
            if (guard.faults == 0 || page < guard.first_page) guard.first_page = page;
            if (guard.faults == 0 || page > guard.last_page) guard.last_page = page;
            guard.faults += 1;
            return;
        }
    }
    pass_to_previous(signo, info, context);
}

static void install(void) {
    long size = sysconf(_SC_PAGESIZE);
    page_mask = ~((uintptr_t)size - 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    install_result = sigaction(SIGBUS, &action, &previous_action);
}

int mnemap_fault_guard_install(void) {
    pthread_once(&install_once, install);
    return install_result;
}

void mnemap_fault_guard_begin(void *base, size_t length) {
    if (guard.depth++ == 0) {
        guard.start = (uintptr_t)base;
        guard.end = (uintptr_t)base + length;
        guard.faults = 0;
        guard.first_page = 0;
        guard.last_page = 0;
    }
}

unsigned long mnemap_fault_guard_end(uintptr_t *first_page, uintptr_t *last_page) {
    if (guard.depth > 0) guard.depth -= 1;
    if (guard.depth > 0) return 0;
    if (first_page) *first_page = guard.first_page;
    if (last_page) *last_page = guard.last_page;
    unsigned long faults = guard.faults;
    guard.faults = 0;
    return faults;
}

#if defined(__linux__)
#include <sys/syscall.h>
#include <linux/fs.h>
#endif
#if defined(__APPLE__)
#include <stdio.h>
#endif

int mnemap_exchange_paths(const char *first, const char *second) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, first, AT_FDCWD, second, RENAME_EXCHANGE);
#elif defined(__APPLE__)
    return renamex_np(first, second, RENAME_SWAP);
#else
    (void)first; (void)second;
    errno = ENOTSUP;
    return -1;
#endif
}
