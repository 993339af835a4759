#include "CParleyRing.h"

#include <errno.h>
#include <stdlib.h>

#if PARLEY_RING_COMPILED_IN
#include <liburing.h>
#include <string.h>
#include <sys/socket.h>

struct parley_ring {
    struct io_uring ring;
    unsigned entries;
    /// One per submission of several buffers: sendmsg reads its header when it runs, and every
    /// submission has run by the time parley_ring_send returns.
    struct msghdr *messages;
};

parley_ring *parley_ring_create(unsigned entries) {
    parley_ring *ring = calloc(1, sizeof *ring);
    if (ring == NULL) return NULL;
    ring->messages = calloc(entries, sizeof *ring->messages);
    // SUBMIT_ALL: a submission that fails (a closed descriptor, say) gets its own error and the
    // ones after it still go, so a flush never leaves half its submissions queued.
    struct io_uring_params params = {.flags = IORING_SETUP_SUBMIT_ALL};
    int failure = ring->messages == NULL ? -ENOMEM : io_uring_queue_init_params(entries, &ring->ring, &params);
    if (failure < 0) {
        free(ring->messages);
        free(ring);
        errno = -failure;
        return NULL;
    }
    ring->entries = entries;
    return ring;
}

void parley_ring_destroy(parley_ring *ring) {
    if (ring == NULL) return;
    io_uring_queue_exit(&ring->ring);
    free(ring->messages);
    free(ring);
}

/// Takes every completion there is; returns how many.
static unsigned reap(parley_ring *ring, parley_send *sends) {
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring->ring, head, cqe) {
        sends[io_uring_cqe_get_data64(cqe)].result = cqe->res;
        seen++;
    }
    io_uring_cq_advance(&ring->ring, seen);
    return seen;
}

int parley_ring_send(parley_ring *ring, parley_send *sends, size_t count, const struct iovec *buffers) {
    const int flags = MSG_DONTWAIT | MSG_NOSIGNAL;  // MSG_DONTWAIT: -EAGAIN, not a parked send
    for (size_t i = 0; i < count; i++) sends[i].result = -ECANCELED;
    size_t next = 0;
    while (next < count) {
        unsigned batch = 0;
        struct io_uring_sqe *sqe;
        while (next + batch < count && batch < ring->entries && (sqe = io_uring_get_sqe(&ring->ring)) != NULL) {
            parley_send *send = &sends[next + batch];
            const struct iovec *first = &buffers[send->first];
            if (send->count == 1) {
                io_uring_prep_send(sqe, send->fd, first->iov_base, first->iov_len, flags);
            } else {
                struct msghdr *message = &ring->messages[batch];
                memset(message, 0, sizeof *message);
                message->msg_iov = (struct iovec *)first;
                message->msg_iovlen = send->count;
                io_uring_prep_sendmsg(sqe, send->fd, message, flags);
            }
            io_uring_sqe_set_data64(sqe, next + batch);
            batch++;
        }
        int submitted;
        do {
            submitted = io_uring_submit_and_wait(&ring->ring, batch);
        } while (submitted == -EINTR);
        if (submitted < 0) return submitted;  // none of this batch went: each still -ECANCELED
        // Sends that would block complete at once with -EAGAIN (MSG_DONTWAIT), so this wait is
        // for work already done; it guards against a kernel that queued one anyway.
        unsigned done = reap(ring, sends);
        while (done < (unsigned)submitted) {
            struct io_uring_cqe *cqe;
            int waited = io_uring_wait_cqe(&ring->ring, &cqe);
            if (waited < 0 && waited != -EINTR && waited != -EAGAIN) {
                // What these sends did is unknown: -EIO, and the caller closes their sockets.
                for (unsigned i = 0; i < batch; i++)
                    if (sends[next + i].result == -ECANCELED) sends[next + i].result = -EIO;
                return waited;
            }
            done += reap(ring, sends);
        }
        next += batch;
    }
    return 0;
}

int parley_ring_compiled_in(void) { return 1; }

#else  // built without liburing's headers: every ring is refused, the gateway sends directly

parley_ring *parley_ring_create(unsigned entries) {
    (void)entries;
    errno = ENOSYS;
    return NULL;
}

void parley_ring_destroy(parley_ring *ring) { (void)ring; }

int parley_ring_send(parley_ring *ring, parley_send *sends, size_t count, const struct iovec *buffers) {
    (void)ring, (void)sends, (void)count, (void)buffers;
    return -ENOSYS;
}

int parley_ring_compiled_in(void) { return 0; }

#endif
