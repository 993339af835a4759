// A loop's flush handed to the kernel in one system call: io_uring (Debian's liburing-dev) for
// the gateway's write path (docs/ARCHITECTURE.md, "The io_uring write path"). Swift sees only
// this header, not liburing's, whose helpers are static inline functions over the rings.
#pragma once
#include <stddef.h>
#include <sys/uio.h>

// io_uring is compiled in only where liburing's header was there at build time (Linux with
// liburing-dev); otherwise every function below refuses and the gateway uses the direct path.
#if defined(__linux__) && __has_include(<liburing.h>)
#define PARLEY_RING_COMPILED_IN 1
#else
#define PARLEY_RING_COMPILED_IN 0
#endif

typedef struct parley_ring parley_ring;

/// One connection's part of a flush: `count` buffers from `buffers[first]` for descriptor `fd`.
/// `tag` is the caller's (which connection). `result` is set to the bytes the kernel took, or
/// -errno (-EAGAIN when its buffer was full).
typedef struct {
    int fd;
    int tag;
    unsigned first;
    unsigned count;
    long result;
} parley_send;

/// A ring of `entries` submissions, or NULL with errno set where the kernel (or a seccomp
/// filter) refuses io_uring. Use it from one thread only.
parley_ring *parley_ring_create(unsigned entries);
void parley_ring_destroy(parley_ring *ring);

/// Sends every entry without blocking (MSG_DONTWAIT | MSG_NOSIGNAL): as many per system call as
/// the ring holds, and returns only when every entry has its result, so the buffers may be
/// released after it. 0, or -errno if the ring itself failed; then it must be destroyed, entries
/// still holding -ECANCELED sent nothing, and those holding -EIO sent an unknown part.
int parley_ring_send(parley_ring *ring, parley_send *sends, size_t count, const struct iovec *buffers);

/// 1 when this build has io_uring (liburing's header was found), 0 when every ring is refused.
int parley_ring_compiled_in(void);
