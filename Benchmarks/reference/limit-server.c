/*
 * limit-server.c: how fast a WebSocket broadcast can go on this machine when nothing but the
 * system calls are paid. Parley's benchmarks and its CI perf gate measure against it.
 *
 * One thread, one epoll set, libc only. Every data message a client sends (text or binary,
 * fragments joined) is framed ONCE as an unmasked server frame and the same bytes are sent to
 * every other open connection: one send() per recipient, nothing parsed, nothing per client.
 * A recipient whose socket is full gets the rest queued (EPOLLOUT); past QUEUE_CAP queued
 * bytes it is dropped. Pings are answered, a close is echoed and the socket closed.
 *
 * --uring: the limit moved. Each broadcast's sends go to the kernel as one io_uring submission
 * (a send SQE per recipient, MSG_DONTWAIT, one io_uring_submit_and_wait) instead of a send()
 * each: one system call per broadcast. What a send did not take is queued as above. Built in
 * where liburing's header is (Debian's liburing-dev); without it --uring is refused.
 *
 * --rooms: the limit of many rooms. A text message "join:N" puts its sender in room N (answered
 * "joined"); a message "N|..." is framed once and sent to room N's members, the sender too (as
 * Parley's sendPublic is); anything else is ignored. The only per-message work beyond the relay
 * is reading the room's number and walking its member array.
 *
 *   cc -O2 -Wall -o limit-server limit-server.c -luring     (or without -luring, and no --uring)
 *   ./limit-server [--host 127.0.0.1] [--port 9001] [--lifetime-s 900] [--rooms]
 *                  [--uring [--ring-entries 4096]]
 *
 * Stops on SIGINT/SIGTERM or after --lifetime-s, printing one JSON line of counters to stderr.
 * Written for this repository (docs/ARCHITECTURE.md, "Measuring against the limit").
 *
 * One file on purpose (over the house's ~250 lines): a yardstick is built with one `cc` and read
 * top to bottom, with nothing of Parley's in it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#if __has_include(<liburing.h>)
#include <liburing.h>
#define HAVE_URING 1
#endif

#define HEADER_CAP 8192u            /* an upgrade request larger than this is refused */
#define MESSAGE_CAP (16u << 20)     /* the largest client message accepted */
#define QUEUE_CAP (32u << 20)       /* unsent bytes per recipient before it is dropped */

/* ---- SHA-1 (FIPS 180-4), only for Sec-WebSocket-Accept ---- */

static uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const uint8_t *data, size_t length, uint8_t digest[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t padded = ((length + 8) / 64 + 1) * 64;
    uint8_t *m = calloc(padded, 1);
    memcpy(m, data, length);
    m[length] = 0x80;
    uint64_t bits = (uint64_t)length * 8;
    for (int i = 0; i < 8; i++) m[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t block = 0; block < padded; block += 64) {
        uint32_t w[80];
        for (int t = 0; t < 16; t++)
            w[t] = (uint32_t)m[block + 4 * t] << 24 | (uint32_t)m[block + 4 * t + 1] << 16 |
                   (uint32_t)m[block + 4 * t + 2] << 8 | m[block + 4 * t + 3];
        for (int t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int t = 0; t < 80; t++) {
            uint32_t f, k;
            if (t < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (t < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t next = rotl(a, 5) + f + e + k + w[t];
            e = d; d = c; c = rotl(b, 30); b = a; a = next;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    free(m);
    for (int i = 0; i < 20; i++) digest[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static void base64(const uint8_t *in, size_t length, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < length; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < length ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < length ? in[i + 2] : 0);
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < length ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < length ? alphabet[v & 63] : '=';
    }
    out[o] = 0;
}

/* ---- growable byte buffers ---- */

typedef struct { uint8_t *bytes; size_t length, capacity; } Bytes;

static void append(Bytes *b, const void *data, size_t length) {
    if (b->length + length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + length) capacity *= 2;
        b->bytes = realloc(b->bytes, capacity);
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, data, length);
    b->length += length;
}

static void consume(Bytes *b, size_t length) {
    memmove(b->bytes, b->bytes + length, b->length - length);
    b->length -= length;
}

/* ---- connections ---- */

typedef struct {
    int fd;
    int open;              /* upgraded to WebSocket */
    int slot;              /* index in open_fds while open */
    Bytes in, out, message;
    int message_opcode;    /* of the fragmented message being joined, 0 if none */
    int *joined, joined_count;  /* --rooms: the rooms this connection is in */
} Connection;

static Connection **by_fd;
static int *open_fds, open_count, epoll_fd, rooms_mode;

/* --rooms: room N's members, an array indexed by N (rooms are numbered, not named: a limit). */
typedef struct { Connection **members; int count, capacity; } Room;
static Room *rooms;
static int room_count;
static unsigned long long accepted, messages_in, frames_out, bytes_out, dropped;
static volatile sig_atomic_t stopping;

static void watch(Connection *c, int want_out) {
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.fd = c->fd};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void leave_rooms(Connection *c) {
    for (int j = 0; j < c->joined_count; j++) {
        Room *room = &rooms[c->joined[j]];
        for (int i = 0; i < room->count; i++)
            if (room->members[i] == c) { room->members[i] = room->members[--room->count]; break; }
    }
    free(c->joined);
}

static void drop(Connection *c) {
    leave_rooms(c);
    if (c->open) {
        int last = open_fds[--open_count];
        open_fds[c->slot] = last;
        by_fd[last]->slot = c->slot;
    }
    close(c->fd);
    by_fd[c->fd] = NULL;
    free(c->in.bytes); free(c->out.bytes); free(c->message.bytes);
    free(c);
}

/* Sends now if nothing is queued; otherwise (or for what the kernel did not take) queues.
   Returns 0 when the connection had to be dropped. */
static int deliver(Connection *c, const uint8_t *frame, size_t length) {
    size_t sent = 0;
    if (c->out.length == 0) {
        ssize_t n = send(c->fd, frame, length, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { drop(c); return 0; }
        sent = n > 0 ? (size_t)n : 0;
        bytes_out += sent;
    }
    if (sent < length) {
        if (c->out.length + length - sent > QUEUE_CAP) { dropped++; drop(c); return 0; }
        int was_empty = c->out.length == 0;
        append(&c->out, frame + sent, length - sent);
        if (was_empty) watch(c, 1);
    }
    return 1;
}

static size_t frame_header(uint8_t header[10], int opcode, size_t length) {
    header[0] = (uint8_t)(0x80 | opcode);
    if (length < 126) { header[1] = (uint8_t)length; return 2; }
    if (length < 65536) { header[1] = 126; header[2] = (uint8_t)(length >> 8); header[3] = (uint8_t)length; return 4; }
    header[1] = 127;
    for (int i = 0; i < 8; i++) header[2 + i] = (uint8_t)((uint64_t)length >> (56 - 8 * i));
    return 10;
}

static Bytes broadcast_frame;

/* The message framed once, into broadcast_frame, for every recipient's send. */
static void frame_once(int opcode, const uint8_t *payload, size_t length) {
    uint8_t header[10];
    size_t header_length = frame_header(header, opcode, length);
    broadcast_frame.length = 0;
    append(&broadcast_frame, header, header_length);
    append(&broadcast_frame, payload, length);
    messages_in++;
}

/* --rooms: the decimal room number at the start of `payload`, its digits' count in *used; -1 if
   there is none or it is past the rooms' limit. */
static long room_number(const uint8_t *payload, size_t length, size_t *used) {
    size_t at = 0;
    long number = 0;
    while (at < length && payload[at] >= '0' && payload[at] <= '9') {
        number = number * 10 + (payload[at++] - '0');
        if (number >= 1 << 24) return -1;
    }
    *used = at;
    return at ? number : -1;
}

/* ---- --uring: a broadcast's sends as one submission ---- */

static int uring_mode;
static unsigned ring_entries = 4096;  /* sends per submission (--ring-entries); a larger broadcast takes several */
#ifdef HAVE_URING
static struct io_uring ring;
static unsigned ring_pending;      /* send SQEs prepared and not yet reaped */

/* Submits what is prepared, waits for all of it (MSG_DONTWAIT: each send completes at once,
   taken, short or EAGAIN) and settles each recipient as deliver() would: a short send or an
   EAGAIN queues the rest of broadcast_frame, an error drops the connection. */
static void ring_flush(void) {
    if (!ring_pending) return;
    io_uring_submit_and_wait(&ring, ring_pending);
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
        Connection *c = io_uring_cqe_get_data(cqe);
        int n = cqe->res;
        seen++;
        if (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK) { drop(c); continue; }
        size_t sent = n > 0 ? (size_t)n : 0;
        bytes_out += sent;
        frames_out++;
        if (sent < broadcast_frame.length) {
            if (broadcast_frame.length - sent > QUEUE_CAP) { frames_out--; dropped++; drop(c); continue; }
            append(&c->out, broadcast_frame.bytes + sent, broadcast_frame.length - sent);
            watch(c, 1);
        }
    }
    io_uring_cq_advance(&ring, seen);
    ring_pending -= seen;
}
#endif

/* broadcast_frame to one recipient: a send now (one send() each, the default), or an SQE in
   the broadcast's submission (--uring; the caller flushes). A recipient with bytes queued gets
   this frame queued behind them either way. */
static void send_broadcast_frame(Connection *c) {
#ifdef HAVE_URING
    if (uring_mode && c->out.length == 0) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        if (!sqe) { ring_flush(); sqe = io_uring_get_sqe(&ring); }
        io_uring_prep_send(sqe, c->fd, broadcast_frame.bytes, broadcast_frame.length, MSG_NOSIGNAL | MSG_DONTWAIT);
        io_uring_sqe_set_data(sqe, c);
        ring_pending++;
        return;
    }
#endif
    if (deliver(c, broadcast_frame.bytes, broadcast_frame.length)) frames_out++;
}

static void flush_broadcast(void) {
#ifdef HAVE_URING
    if (uring_mode) ring_flush();
#endif
}

static void broadcast(Connection *sender, int opcode, const uint8_t *payload, size_t length) {
    frame_once(opcode, payload, length);
    /* Backwards: a dropped recipient swaps the last open fd into its slot, already visited (a
   --uring flush mid-loop drops only recipients already visited, so the same holds). */
    for (int i = open_count - 1; i >= 0; i--) {
        if (i >= open_count) continue;
        Connection *c = by_fd[open_fds[i]];
        if (c == sender) continue;
        send_broadcast_frame(c);
    }
    flush_broadcast();
}

/* --rooms: the sender is served last, so that a sender dropped by its own delivery is known
   to the caller. Returns 0 when the sender is gone. */
static int broadcast_to_room(Connection *sender, int opcode, const uint8_t *payload, size_t length) {
    size_t at;
    long number = room_number(payload, length, &at);
    if (number < 0 || at >= length || payload[at] != '|' || number >= room_count) return 1;
    frame_once(opcode, payload, length);
    Room *room = &rooms[number];
    int sender_is_member = 0;
    for (int i = room->count - 1; i >= 0; i--) {
        if (i >= room->count) continue;
        Connection *c = room->members[i];
        if (c == sender) { sender_is_member = 1; continue; }
        send_broadcast_frame(c);
    }
    flush_broadcast();
    if (!sender_is_member) return 1;
    if (!deliver(sender, broadcast_frame.bytes, broadcast_frame.length)) return 0;
    frames_out++;
    return 1;
}

/* --rooms: "join:N". Returns 0 when the connection is gone. */
static int join_room(Connection *c, const uint8_t *payload, size_t length) {
    size_t used;
    long number = room_number(payload + 5, length - 5, &used);
    if (number < 0 || 5 + used != length) return 1;
    if (number >= room_count) {
        rooms = realloc(rooms, (size_t)(number + 1) * sizeof *rooms);
        memset(rooms + room_count, 0, (size_t)(number + 1 - room_count) * sizeof *rooms);
        room_count = (int)number + 1;
    }
    Room *room = &rooms[number];
    for (int i = 0; i < room->count; i++) if (room->members[i] == c) return 1;
    if (room->count == room->capacity) {
        room->capacity = room->capacity ? room->capacity * 2 : 8;
        room->members = realloc(room->members, (size_t)room->capacity * sizeof *room->members);
    }
    room->members[room->count++] = c;
    c->joined = realloc(c->joined, (size_t)(c->joined_count + 1) * sizeof *c->joined);
    c->joined[c->joined_count++] = (int)number;
    static const uint8_t joined[] = {0x81, 6, 'j', 'o', 'i', 'n', 'e', 'd'};
    return deliver(c, joined, sizeof joined);
}

/* One whole data message: relayed to everyone else, or (--rooms) a join or a room's message. */
static int on_message(Connection *c, int opcode, const uint8_t *payload, size_t length) {
    if (!rooms_mode) { broadcast(c, opcode, payload, length); return 1; }  /* drops others, never the sender */
    if (length >= 5 && !memcmp(payload, "join:", 5)) return join_room(c, payload, length);
    return broadcast_to_room(c, opcode, payload, length);
}

static int upgrade(Connection *c) {
    uint8_t *end = memmem(c->in.bytes, c->in.length, "\r\n\r\n", 4);
    if (!end) return c->in.length > HEADER_CAP ? -1 : 0;
    size_t header_length = (size_t)(end - c->in.bytes) + 4;
    char request[HEADER_CAP + 1];
    if (header_length > HEADER_CAP) return -1;
    memcpy(request, c->in.bytes, header_length);
    request[header_length] = 0;
    char *key = strcasestr(request, "\r\nSec-WebSocket-Key:");
    if (!key) return -1;
    key += strlen("\r\nSec-WebSocket-Key:");
    while (*key == ' ') key++;
    size_t key_length = strcspn(key, " \r\n");
    char material[128 + 40];
    if (key_length > 128) return -1;
    memcpy(material, key, key_length);
    memcpy(material + key_length, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
    uint8_t digest[20];
    sha1((uint8_t *)material, key_length + 36, digest);
    char accept_value[32], response[256];
    base64(digest, 20, accept_value);
    int n = snprintf(response, sizeof response,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n", accept_value);
    consume(&c->in, header_length);
    c->open = 1;
    c->slot = open_count;
    open_fds[open_count++] = c->fd;
    accepted++;
    return deliver(c, (uint8_t *)response, (size_t)n) ? 1 : -2;
}

/* Handles every whole frame in the input. Returns 0 when the connection is gone. */
static int read_frames(Connection *c) {
    while (c->in.length >= 2) {
        uint8_t *b = c->in.bytes;
        int fin = b[0] & 0x80, opcode = b[0] & 0x0F, masked = b[1] & 0x80;
        uint64_t length = b[1] & 0x7F;
        size_t at = 2;
        if (length == 126) { if (c->in.length < 4) return 1; length = (uint64_t)b[2] << 8 | b[3]; at = 4; }
        else if (length == 127) {
            if (c->in.length < 10) return 1;
            length = 0;
            for (int i = 0; i < 8; i++) length = length << 8 | b[2 + i];
            at = 10;
        }
        if (!masked || length > MESSAGE_CAP) { drop(c); return 0; }
        if (c->in.length < at + 4 + length) return 1;
        uint8_t *mask = b + at, *payload = b + at + 4;
        for (uint64_t i = 0; i < length; i++) payload[i] ^= mask[i & 3];
        if (opcode == 0x8) {            /* close: echo it, then close */
            uint8_t header[10];
            size_t h = frame_header(header, 0x8, length > 125 ? 0 : length);
            send(c->fd, header, h, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (length <= 125) send(c->fd, payload, length, MSG_NOSIGNAL | MSG_DONTWAIT);
            drop(c);
            return 0;
        } else if (opcode == 0x9) {     /* ping: pong with the same payload */
            uint8_t header[10];
            size_t h = frame_header(header, 0xA, length);
            Bytes pong = {0};
            append(&pong, header, h);
            append(&pong, payload, length);
            int alive = deliver(c, pong.bytes, pong.length);
            free(pong.bytes);
            if (!alive) return 0;
        } else if (opcode == 0x1 || opcode == 0x2 || opcode == 0x0) {
            if (opcode != 0) { c->message_opcode = opcode; c->message.length = 0; }
            if (fin && c->message.length == 0) {
                if (!on_message(c, c->message_opcode, payload, length)) return 0;   /* the common case: no copy */
            } else {
                append(&c->message, payload, length);
                if (c->message.length > MESSAGE_CAP) { drop(c); return 0; }
                if (fin) {
                    if (!on_message(c, c->message_opcode, c->message.bytes, c->message.length)) return 0;
                    c->message.length = 0;
                }
            }
        }
        consume(&c->in, at + 4 + length);
    }
    return 1;
}

static void readable(Connection *c) {
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = recv(c->fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) { drop(c); return; }
        if (n < 0) return;
        append(&c->in, chunk, (size_t)n);
        if (!c->open) {
            int result = upgrade(c);
            if (result < 0) { if (result == -1) drop(c); return; }
            if (result == 0) continue;
        }
        if (!read_frames(c)) return;
        if ((size_t)n < sizeof chunk) return;
    }
}

static void writable(Connection *c) {
    ssize_t n = send(c->fd, c->out.bytes, c->out.length, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { drop(c); return; }
    if (n > 0) { bytes_out += (size_t)n; consume(&c->out, (size_t)n); }
    if (c->out.length == 0) watch(c, 0);
}

static void on_signal(int signal_number) { (void)signal_number; stopping = 1; }

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 9001, lifetime = 900;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--rooms")) { rooms_mode = 1; i--; continue; }
        if (!strcmp(argv[i], "--uring")) { uring_mode = 1; i--; continue; }
        if (i + 1 >= argc) { fprintf(stderr, "%s needs a value\n", argv[i]); return 2; }
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--lifetime-s")) lifetime = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ring-entries")) ring_entries = (unsigned)atoi(argv[i + 1]);
        else { fprintf(stderr, "unknown option %s (--host, --port, --lifetime-s, --rooms, --uring, --ring-entries)\n", argv[i]); return 2; }
    }
    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    if (uring_mode) {
#ifdef HAVE_URING
        int failed = io_uring_queue_init(ring_entries, &ring, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN);
        if (failed) failed = io_uring_queue_init(ring_entries, &ring, 0);  /* an older kernel */
        if (failed) { fprintf(stderr, "--uring: io_uring_queue_init: %s\n", strerror(-failed)); return 1; }
#else
        fprintf(stderr, "--uring: built without liburing (install liburing-dev and build again)\n");
        return 2;
#endif
    }
    by_fd = calloc(files.rlim_cur, sizeof *by_fd);
    open_fds = calloc(files.rlim_cur, sizeof *open_fds);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), yes = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) { fprintf(stderr, "bad --host %s\n", host); return 2; }
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096)) {
        perror("listen");
        return 1;
    }
    epoll_fd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &ev);
    time_t end = time(NULL) + lifetime;
    struct epoll_event events[512];
    while (!stopping && time(NULL) < end) {
        int ready = epoll_wait(epoll_fd, events, 512, 500);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if ((rlim_t)client >= files.rlim_cur) { close(client); continue; }
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
                    Connection *c = calloc(1, sizeof *c);
                    c->fd = client;
                    by_fd[client] = c;
                    struct epoll_event client_event = {.events = EPOLLIN, .data.fd = client};
                    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &client_event);
                }
                continue;
            }
            if (by_fd[fd] && (events[i].events & EPOLLOUT)) writable(by_fd[fd]);
            if (by_fd[fd] && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) readable(by_fd[fd]);
        }
    }
    fprintf(stderr,
            "{\"accepted\":%llu,\"open\":%d,\"messagesIn\":%llu,\"framesOut\":%llu,\"bytesOut\":%llu,\"dropped\":%llu}\n",
            accepted, open_count, messages_in, frames_out, bytes_out, dropped);
    return 0;
}
