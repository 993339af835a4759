/*
 * probe-client.c: an independent WebSocket load client, the yardstick parley-load is checked
 * against (`make xcheck`). One thread, one epoll set, libc only, loopback targets.
 *
 * It connects N clients, makes the first P of them publishers that send probe tokens
 * (docs/PROTOCOL.md, "Probe tokens") on an open-loop timetable — message k of a publisher is
 * due at start + k/rate whatever happened before — and times every token it receives with ONE
 * clock read per recv(): every frame of one read shares that arrival time. Latency is arrival
 * minus the token's scheduled instant, into a log-linear histogram (< 1 % error).
 *
 *   cc -O2 -Wall -o probe-client probe-client.c
 *   ./probe-client --port 8080 --path /ws --clients 1000 --publishers 1 --rate 10 --seconds 8 \
 *                  [--mode parley|raw] [--size 128] [--host 127.0.0.1] [--connect-rate 2000] [--rooms R]
 *                  [--rooms-per-client K]
 *
 * --mode parley: each client sends setName, then a private message to itself, and is a member
 * once that comes back; publishers send sendPublic (every member, the sender too, receives it).
 * --rooms R (parley mode): client i connects with ?rooms=none and joins room "r<i mod R>" before
 * its private message, so rooms hold N/R members each; publisher p publishes to its own room,
 * and what is due is each message times its room's members. One node: a cluster node refuses
 * ?rooms=none (its default room holds every name).
 * --rooms-per-client K (with --rooms): client i joins rooms (i + j*(R/K)) mod R, j < K — its first
 * is still i mod R, the one it publishes to — so N clients fill R rooms of N*K/R members each.
 * --mode raw: the token text is the whole message and every other client receives it; with
 * --rooms, the limit server's rooms (limit-server.c --rooms): "join:N" answered "joined", and a
 * message "N|token" that every member of room N receives, the sender too.
 * Prints one JSON line: counts, latency percentiles in microseconds, CPU per received frame, and
 * connectSeconds (the first connect to the last client a member); "connecting" and "connected"
 * on stderr around the connects, "measuring" and "measured" where the timed window begins and
 * ends. With --connect-rate 1000000 the connects go as fast as the server takes them: a
 * reconnect storm, connects per second.
 *
 * One file on purpose (over the house's ~250 lines): a yardstick is built with one `cc` and read
 * top to bottom, with nothing of Parley's in it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* ---- a log-linear histogram of microseconds: 64 sub-buckets per power of two ---- */

#define SUB 64
static uint64_t buckets[40 * SUB], samples;

static void record(uint64_t micros) {
    int exponent = 0;
    while ((micros >> exponent) >= SUB) exponent++;
    buckets[exponent * SUB + (micros >> exponent)]++;
    samples++;
}

static double percentile(double p) {
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)samples), seen = 0;
    if (rank == 0) rank = 1;
    for (int i = 0; i < 40 * SUB; i++) {
        seen += buckets[i];
        if (seen >= rank) return (double)((uint64_t)(i % SUB) << (i / SUB));
    }
    return 0;
}

/* ---- connections ---- */

typedef struct {
    int fd, index, upgraded, member, publisher, joins_answered;
    uint8_t *in;
    size_t length, capacity;
    uint64_t next_due, seq;
} Client;

static Client *clients;
static int count, publishers, ready_count, epoll_fd, size = 128, parley = 1, rooms = 0, rooms_per_client = 1;
static int *room_members; /* --rooms: how many clients each room holds, for what is due */

static int room_of(int client, int j) { return (client + j * (rooms / rooms_per_client)) % rooms; }
static uint64_t expected_deliveries;
static double rate = 10;
static uint64_t run_id, received, sent, frames, reads;

static void die(const char *what) { perror(what); exit(1); }

static void send_all(Client *c, const uint8_t *data, size_t length) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = send(c->fd, data + done, length - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { fprintf(stderr, "send failed on client %d\n", c->index); exit(1); }
        done += (size_t)n;
    }
}

/* A masked client text frame (the mask is fixed: it is not a secret on loopback). */
static void send_text(Client *c, const char *text, size_t length) {
    uint8_t frame[16 + 65536], mask[4] = {0x12, 0x34, 0x56, 0x78};
    size_t at = 0;
    frame[at++] = 0x81;
    if (length < 126) frame[at++] = (uint8_t)(0x80 | length);
    else { frame[at++] = 0x80 | 126; frame[at++] = (uint8_t)(length >> 8); frame[at++] = (uint8_t)length; }
    memcpy(frame + at, mask, 4);
    at += 4;
    for (size_t i = 0; i < length; i++) frame[at + i] = (uint8_t)text[i] ^ mask[i & 3];
    send_all(c, frame, at + length);
}

static void publish(Client *c, uint64_t scheduled) {
    char token[128], text[65536];
    int token_length = snprintf(token, sizeof token, "PRB:%llu:%d:%llu:%llu:PRB", (unsigned long long)run_id, c->index,
                                (unsigned long long)c->seq, (unsigned long long)scheduled);
    int pad = size > token_length ? size - token_length : 0;
    char padding[65536];
    memset(padding, 'x', (size_t)pad);
    padding[pad] = 0;
    int length = !parley ? (rooms ? snprintf(text, sizeof text, "%d|%s%s", c->index % rooms, token, padding)
                                  : snprintf(text, sizeof text, "%s%s", token, padding))
                 : rooms ? snprintf(text, sizeof text, "{\"action\":\"sendPublic\",\"room\":\"r%d\",\"message\":\"%s%s\"}",
                                    c->index % rooms, token, padding)
                         : snprintf(text, sizeof text, "{\"action\":\"sendPublic\",\"message\":\"%s%s\"}", token, padding);
    send_text(c, text, (size_t)length);
    c->seq++;
    sent++;
    if (rooms) expected_deliveries += (uint64_t)room_members[c->index % rooms];
    else expected_deliveries += (uint64_t)(parley ? count : count - 1);
}

/* Finds every token of this run in one frame's payload; all share the read's arrival time. */
static void scan(Client *c, const uint8_t *payload, size_t length, uint64_t arrival) {
    (void)c;
    const uint8_t *at = payload, *end = payload + length;
    /* Parley's public event repeats the text ("publicMessage" and "text"): one message's token
       seen twice in one frame is one delivery. */
    int last_publisher = -1;
    unsigned long long last_seq = 0;
    while ((at = memmem(at, (size_t)(end - at), "PRB:", 4)) != NULL) {
        unsigned long long run, seq, scheduled;
        int publisher, used = 0;
        char copy[96];
        size_t n = (size_t)(end - at) < sizeof copy - 1 ? (size_t)(end - at) : sizeof copy - 1;
        memcpy(copy, at, n);
        copy[n] = 0;
        if (sscanf(copy, "PRB:%llu:%d:%llu:%llu:PRB%n", &run, &publisher, &seq, &scheduled, &used) == 4 && used > 0 &&
            run == run_id && !(publisher == last_publisher && seq == last_seq)) {
            last_publisher = publisher;
            last_seq = seq;
            received++;
            record(arrival > scheduled ? (arrival - scheduled) / 1000 : 0);
        }
        at += 4;
    }
}

static void on_frame(Client *c, int opcode, const uint8_t *payload, size_t length, uint64_t arrival) {
    frames++;
    if (opcode == 0x8) { fprintf(stderr, "client %d closed by the server\n", c->index); exit(1); }
    if (opcode != 0x1 && opcode != 0x2) return;
    if (!c->member) {
        int ready = !parley ? (length == 6 && !memcmp(payload, "joined", 6) && ++c->joins_answered == rooms_per_client)
                            : memmem(payload, length, "\"privateMessage\"", 16) != NULL;
        if (ready) { c->member = 1; ready_count++; }
        return;
    }
    scan(c, payload, length, arrival);
}

static void readable(Client *c) {
    if (c->capacity - c->length < 65536) {
        c->capacity = c->capacity ? c->capacity * 2 : 131072;
        c->in = realloc(c->in, c->capacity);
    }
    ssize_t n = recv(c->fd, c->in + c->length, c->capacity - c->length, 0);
    if (n == 0) { fprintf(stderr, "client %d: the server closed the connection\n", c->index); exit(1); }
    if (n < 0) { if (errno == EAGAIN || errno == EINTR) return; die("recv"); }
    uint64_t arrival = now_ns(); /* one clock read per socket read */
    reads++;
    c->length += (size_t)n;
    size_t at = 0;
    if (!c->upgraded) {
        uint8_t *end = memmem(c->in, c->length, "\r\n\r\n", 4);
        if (!end) return;
        if (memcmp(c->in, "HTTP/1.1 101", 12) != 0) { fprintf(stderr, "client %d: upgrade refused\n", c->index); exit(1); }
        c->upgraded = 1;
        at = (size_t)(end - c->in) + 4;
        if (parley) {
            char hello[128];
            int length = snprintf(hello, sizeof hello, "{\"action\":\"setName\",\"name\":\"c%d\"}", c->index);
            send_text(c, hello, (size_t)length);
            /* Frames of one connection are handled in order: the joins are done before the
               private message that says this client is ready comes back. */
            for (int j = 0; rooms && j < rooms_per_client; j++) {
                length = snprintf(hello, sizeof hello, "{\"action\":\"join\",\"room\":\"r%d\"}", room_of(c->index, j));
                send_text(c, hello, (size_t)length);
            }
            length = snprintf(hello, sizeof hello, "{\"action\":\"sendPrivate\",\"message\":\"ready\",\"to\":\"c%d\"}", c->index);
            send_text(c, hello, (size_t)length);
        } else if (rooms) {
            for (int j = 0; j < rooms_per_client; j++) {
                char join[32];
                int length = snprintf(join, sizeof join, "join:%d", room_of(c->index, j));
                send_text(c, join, (size_t)length);
            }
        } else {
            c->member = 1;
            ready_count++;
        }
    }
    while (c->length - at >= 2) {
        uint8_t *b = c->in + at;
        uint64_t length = b[1] & 0x7F;
        size_t header = 2;
        if (length == 126) { if (c->length - at < 4) break; length = (uint64_t)b[2] << 8 | b[3]; header = 4; }
        else if (length == 127) {
            if (c->length - at < 10) break;
            length = 0;
            for (int i = 0; i < 8; i++) length = length << 8 | b[2 + i];
            header = 10;
        }
        if (c->length - at < header + length) break;
        on_frame(c, b[0] & 0x0F, b + header, length, arrival);
        at += header + length;
    }
    memmove(c->in, c->in + at, c->length - at);
    c->length -= at;
}

static void open_client(Client *c, struct sockaddr_in *address, const char *host, int port, const char *path) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket");
    if (connect(c->fd, (struct sockaddr *)address, sizeof *address) < 0) die("connect");
    int yes = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    char request[512];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path, host, port);
    send_all(c, (uint8_t *)request, (size_t)n);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void poll_once(int timeout_ms) {
    struct epoll_event events[256];
    int ready = epoll_wait(epoll_fd, events, 256, timeout_ms);
    for (int i = 0; i < ready; i++) readable(events[i].data.ptr);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *path = "/ws";
    int port = 8080;
    double seconds = 8, connect_rate = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--host")) host = v;
        else if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--path")) path = v;
        else if (!strcmp(k, "--clients")) count = atoi(v);
        else if (!strcmp(k, "--publishers")) publishers = atoi(v);
        else if (!strcmp(k, "--rate")) rate = atof(v);
        else if (!strcmp(k, "--seconds")) seconds = atof(v);
        else if (!strcmp(k, "--size")) size = atoi(v);
        else if (!strcmp(k, "--connect-rate")) connect_rate = atof(v);
        else if (!strcmp(k, "--mode")) parley = strcmp(v, "raw") != 0;
        else if (!strcmp(k, "--rooms")) rooms = atoi(v);
        else if (!strcmp(k, "--rooms-per-client")) rooms_per_client = atoi(v);
        else { fprintf(stderr, "unknown option %s\n", k); return 2; }
    }
    if (count <= 0 || publishers <= 0 || publishers > count || rate <= 0 || size < 48 || size > 60000) {
        fprintf(stderr, "need --clients N >= --publishers P >= 1, --rate > 0, 48 <= --size <= 60000\n");
        return 2;
    }
    if (rooms < 0 || rooms > count || rooms_per_client < 1 || (rooms && rooms_per_client > rooms)) {
        fprintf(stderr, "--rooms R needs 1 <= R <= --clients, and --rooms-per-client K 1 <= K <= R\n");
        return 2;
    }
    if (rooms) {
        room_members = calloc((size_t)rooms, sizeof *room_members);
        for (int i = 0; i < count; i++)
            for (int j = 0; j < rooms_per_client; j++) room_members[room_of(i, j)]++;
    }
    char room_path[1024];
    if (rooms && parley) {
        snprintf(room_path, sizeof room_path, "%s%srooms=none", path, strchr(path, '?') ? "&" : "?");
        path = room_path;
    }
    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    run_id = now_ns() % 1000000007ull;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1 || (ntohl(address.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "--host must be a loopback IPv4 address (127.0.0.0/8)\n");
        return 2;
    }
    epoll_fd = epoll_create1(0);
    clients = calloc((size_t)count, sizeof *clients);

    fprintf(stderr, "connecting\n");
    uint64_t start = now_ns();
    for (int i = 0; i < count; i++) {
        clients[i].index = i;
        clients[i].publisher = i < publishers;
        open_client(&clients[i], &address, host, port, path);
        while (now_ns() < start + (uint64_t)((i + 1) / connect_rate * 1e9)) poll_once(1);
    }
    uint64_t deadline = now_ns() + 30000000000ull;
    while (ready_count < count) {
        if (now_ns() > deadline) { fprintf(stderr, "only %d of %d clients ready after 30 s\n", ready_count, count); return 1; }
        poll_once(10);
    }
    double connect_seconds = (double)(now_ns() - start) / 1e9;
    fprintf(stderr, "connected\n");
    /* Settle for half a second, reading all the while: a client that sleeps here leaves the
       join traffic in the sockets, and the server's queues, for the first messages to wait on. */
    uint64_t settled = now_ns() + 500000000ull;
    while (now_ns() < settled) poll_once(10);

    /* Said on stderr so that whoever runs this can read a server's CPU over the same window. */
    fprintf(stderr, "measuring\n");
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    uint64_t frames_before = frames;
    memset(buckets, 0, sizeof buckets);
    samples = 0;
    received = 0;
    uint64_t begin = now_ns(), end = begin + (uint64_t)(seconds * 1e9), interval = (uint64_t)(1e9 / rate);
    for (int p = 0; p < publishers; p++) clients[p].next_due = begin + interval * (uint64_t)p / (uint64_t)publishers;
    for (;;) {
        uint64_t now = now_ns(), soonest = end;
        for (int p = 0; p < publishers; p++) {
            while (clients[p].next_due <= now && clients[p].next_due < end) {
                publish(&clients[p], clients[p].next_due);
                clients[p].next_due += interval;
            }
            if (clients[p].next_due < soonest) soonest = clients[p].next_due;
        }
        if (now >= end) break;
        int wait = (int)((soonest > now ? soonest - now : 0) / 1000000);
        poll_once(wait);
    }
    uint64_t expected = expected_deliveries;
    uint64_t drain_until = now_ns() + 5000000000ull;
    while (received < expected && now_ns() < drain_until) poll_once(10);
    getrusage(RUSAGE_SELF, &after);
    fprintf(stderr, "measured\n");
    double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) + (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
                 (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) + (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
    uint64_t measured_frames = frames - frames_before;
    printf("{\"tool\":\"probe-client\",\"clients\":%d,\"rooms\":%d,\"roomsPerClient\":%d,\"publishers\":%d,\"rate\":%g,\"sent\":%llu,\"expected\":%llu,"
           "\"received\":%llu,\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"max\":%.0f,\"cpuSeconds\":%.3f,"
           "\"framesReceived\":%llu,\"cpuPerFrameMicros\":%.3f,\"connectSeconds\":%.3f}\n",
           count, rooms, rooms_per_client, publishers, rate, (unsigned long long)sent, (unsigned long long)expected, (unsigned long long)received,
           percentile(50), percentile(90), percentile(99), percentile(100), cpu, (unsigned long long)measured_frames,
           measured_frames ? cpu * 1e6 / (double)measured_frames : 0, connect_seconds);
    return received == expected ? 0 : 3;
}
