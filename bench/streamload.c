// streamload: many paced SSE streams, for `make bench` (loopback only).
//
//   streamload serve PORT CHUNKS RATE
//       A fake OpenAI-compatible upstream: GET /v1/models lists one model; any POST is answered with CHUNKS
//       chat.completion.chunk events, RATE per second, each carrying its send time ("T<ns>T", CLOCK_MONOTONIC)
//       as its content, then the finish and usage events and [DONE]; the connection closes after each stream.
//       Streams are staggered over one period so that they do not all send in the same millisecond.
//   streamload load HOST PORT PATH BODY STREAMS CHUNKS
//       Opens STREAMS HTTP/1.1 connections at once, POSTs BODY to PATH on each, and finds the timestamps in
//       whatever comes back (OpenAI SSE straight from `serve`, or the gateway's own SSE). Prints one JSON line:
//       chunks/s received, time to each stream's first chunk (from when the requests went out), and the
//       one-way delay of each chunk (send → receipt) and the gap between chunks of a stream, as percentiles
//       over the steady state (each stream's first fifth is warm-up).
//
// One epoll thread per process; the harness runs `serve` and `load` as two processes.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int nonblocking(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// MARK: serve

typedef struct {
    int fd;            // -1 when the slot is free
    char head[8192];
    size_t used;       // bytes of the request read so far
    int streaming;     // the request was read; chunks are being sent
    int sent;          // chunks sent so far
    uint64_t next_due; // when the next chunk is due
} upstream_conn;

static int send_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;  // a full socket buffer here means the reader stalled: end that stream
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

// The descriptors of the connections that stream, in no order: the 1 ms tick walks these, not every slot
// (walking all 65,536 slots per tick kept a core busy the whole run, idle or not, beside what is measured).
static int streams[65536];
static int stream_count;
static int stream_timer = -1;

/// The tick runs only while something streams.
static void set_ticking(int on) {
    struct itimerspec tick = {.it_interval = {0, on ? 1000000 : 0}, .it_value = {0, on ? 1000000 : 0}};
    timerfd_settime(stream_timer, 0, &tick, NULL);
}

static void start_streaming(upstream_conn *c) {
    c->streaming = 1;
    if (stream_count++ == 0) set_ticking(1);
    streams[stream_count - 1] = c->fd;
}

static void close_upstream(int epfd, upstream_conn *c) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->streaming) {
        for (int i = 0; i < stream_count; i++) {
            if (streams[i] == c->fd) {
                streams[i] = streams[--stream_count];
                break;
            }
        }
        if (stream_count == 0) set_ticking(0);
    }
    close(c->fd);
    c->fd = -1;
    c->streaming = 0;
}

/// A whole request has arrived when the head has ended and Content-Length bytes of body followed.
static int request_complete(upstream_conn *c, int *is_post) {
    c->head[c->used] = 0;
    char *end = strstr(c->head, "\r\n\r\n");
    if (!end) return 0;
    *is_post = strncmp(c->head, "POST", 4) == 0;
    long length = 0;
    char *field = strcasestr(c->head, "\r\ncontent-length:");
    if (field && field < end) length = strtol(field + 17, NULL, 10);
    return (size_t)(end + 4 - c->head) + (size_t)length <= c->used;
}

static int serve(int port, int chunks, int rate) {
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 4096) < 0) die("listen");
    nonblocking(listener);
    int epfd = epoll_create1(0), timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    stream_timer = timer;
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event);
    event.data.u64 = UINT64_MAX - 1;
    epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &event);
    enum { MAX = 65536 };
    static upstream_conn conns[MAX];
    for (int i = 0; i < MAX; i++) conns[i].fd = -1;
    uint64_t period = 1000000000u / (uint64_t)rate, started = 0;
    printf("listening on 127.0.0.1:%d\n", port);
    fflush(stdout);
    struct epoll_event events[512];
    char line[512];
    for (;;) {
        int count = epoll_wait(epfd, events, 512, -1);
        for (int e = 0; e < count; e++) {
            uint64_t tag = events[e].data.u64;
            if (tag == UINT64_MAX) {
                int fd;
                while ((fd = accept(listener, NULL, NULL)) >= 0) {
                    if (fd >= MAX) { close(fd); continue; }
                    nonblocking(fd);
                    conns[fd] = (upstream_conn){.fd = fd};
                    struct epoll_event in = {.events = EPOLLIN, .data.u64 = (uint64_t)fd};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &in);
                }
            } else if (tag == UINT64_MAX - 1) {
                uint64_t expirations;
                if (read(timer, &expirations, sizeof expirations) < 0) continue;
                uint64_t now = now_ns();
                // Backwards: a stream that ends is replaced by the last one, which was already seen.
                for (int i = stream_count - 1; i >= 0; i--) {
                    int fd = streams[i];
                    upstream_conn *c = &conns[fd];
                    if (c->next_due > now) continue;
                    int n = snprintf(line, sizeof line,
                        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"paced\","
                        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"T%luT \"},\"finish_reason\":null}]}\n\n",
                        (unsigned long)now_ns());
                    if (send_all(fd, line, (size_t)n) < 0) { close_upstream(epfd, c); continue; }
                    c->next_due += period;
                    if (++c->sent == chunks) {
                        static const char tail[] =
                            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"paced\","
                            "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"paced\","
                            "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n";
                        send_all(fd, tail, sizeof tail - 1);
                        close_upstream(epfd, c);
                    }
                }
            } else {
                upstream_conn *c = &conns[tag];
                ssize_t n = recv(c->fd, c->head + c->used, sizeof c->head - 1 - c->used, 0);
                if (n <= 0) { if (n == 0 || errno != EAGAIN) close_upstream(epfd, c); continue; }
                c->used += (size_t)n;
                int is_post = 0;
                if (c->streaming || !request_complete(c, &is_post)) continue;
                if (!is_post) {
                    static const char models[] = "{\"object\":\"list\",\"data\":[{\"id\":\"paced\",\"object\":\"model\"}]}";
                    int m = snprintf(line, sizeof line,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                        sizeof models - 1, models);
                    send_all(c->fd, line, (size_t)m);
                    c->used = 0;
                    continue;
                }
                static const char head[] =
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
                if (send_all(c->fd, head, sizeof head - 1) < 0) { close_upstream(epfd, c); continue; }
                c->next_due = now_ns() + (started++ % 10) * period / 10;
                start_streaming(c);
            }
        }
    }
    return 0;
}

// MARK: load

typedef struct {
    int fd;
    int received;          // timestamps found so far
    uint64_t value;        // digits of the timestamp being read
    int state;             // 0: looking for 'T'; 1: reading digits; 2: read 'T' and at least one digit
    uint64_t last_arrival;
} client_conn;

static uint64_t *delays, *gaps, *first_chunk;
static size_t delay_count, gap_count, first_chunk_count, chunks_received;
static uint64_t requests_sent_at;

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_ms(uint64_t *values, size_t count, double p) {
    if (count == 0) return -1;
    qsort(values, count, sizeof *values, compare);
    size_t index = (size_t)(p * (double)(count - 1));
    return (double)values[index] / 1e6;
}

/// Scans received bytes for "T<digits>T" tokens; split reads are fine, the state lives in the connection.
static void scan(client_conn *c, const char *data, ssize_t length, int chunks, uint64_t arrival) {
    for (ssize_t i = 0; i < length; i++) {
        char ch = data[i];
        if (c->state >= 1 && ch >= '0' && ch <= '9') {
            c->value = c->value * 10 + (uint64_t)(ch - '0');
            c->state = 2;
        } else if (c->state == 2 && ch == 'T') {
            int warm = c->received >= chunks / 5;
            if (warm && arrival > c->value) delays[delay_count++] = arrival - c->value;
            if (warm && c->last_arrival) gaps[gap_count++] = arrival - c->last_arrival;
            if (c->received == 0) first_chunk[first_chunk_count++] = arrival - requests_sent_at;
            chunks_received++;
            c->last_arrival = arrival;
            c->received++;
            c->state = 0;
        } else {
            c->state = ch == 'T' ? 1 : 0;
            c->value = 0;
        }
    }
}

static int load(const char *host, int port, const char *path, const char *body, int streams, int chunks) {
    delays = calloc((size_t)streams * (size_t)chunks, sizeof *delays);
    gaps = calloc((size_t)streams * (size_t)chunks, sizeof *gaps);
    first_chunk = calloc((size_t)streams, sizeof *first_chunk);
    client_conn *conns = calloc((size_t)streams, sizeof *conns);
    int epfd = epoll_create1(0), open_streams = 0, failed = 0;
    char request[4096];
    int length = snprintf(request, sizeof request,
        "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
        path, host, port, strlen(body), body);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    uint64_t started = now_ns();
    requests_sent_at = started;
    for (int i = 0; i < streams; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
        nonblocking(fd);
        if (send_all(fd, request, (size_t)length) < 0) die("send");
        conns[i].fd = fd;
        struct epoll_event in = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &in);
        open_streams++;
    }
    struct epoll_event events[512];
    static char buffer[65536];
    // Three times a stream's nominal length at 100 chunks/s, plus ten seconds: an overloaded proxy is slow, a
    // stuck one fails its streams here.
    uint64_t deadline = now_ns() + ((uint64_t)chunks * 30 + 10000) * 1000000u;
    while (open_streams > 0 && now_ns() < deadline) {
        int count = epoll_wait(epfd, events, 512, 1000);
        uint64_t arrival = now_ns();
        for (int e = 0; e < count; e++) {
            client_conn *c = &conns[events[e].data.u64];
            ssize_t n = recv(c->fd, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EAGAIN) continue;
            if (n > 0) scan(c, buffer, n, chunks, arrival);
            if (n <= 0 || c->received >= chunks) {
                if (c->received < chunks) failed++;
                epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                open_streams--;
            }
        }
    }
    failed += open_streams;
    double seconds = (double)(now_ns() - started) / 1e9;
    printf("{\"streams\":%d,\"chunks_per_stream\":%d,\"failed_streams\":%d,\"seconds\":%.2f,\"chunks_measured\":%zu,"
           "\"chunks_per_s\":%.0f,\"first_chunk_p50_ms\":%.3f,\"first_chunk_p99_ms\":%.3f,"
           "\"delay_p50_ms\":%.3f,\"delay_p99_ms\":%.3f,\"delay_max_ms\":%.3f,\"gap_p50_ms\":%.3f,\"gap_p99_ms\":%.3f}\n",
           streams, chunks, failed, seconds, delay_count, (double)chunks_received / seconds,
           percentile_ms(first_chunk, first_chunk_count, 0.5), percentile_ms(first_chunk, first_chunk_count, 0.99),
           percentile_ms(delays, delay_count, 0.5), percentile_ms(delays, delay_count, 0.99),
           percentile_ms(delays, delay_count, 1.0), percentile_ms(gaps, gap_count, 0.5),
           percentile_ms(gaps, gap_count, 0.99));
    return failed ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    if (argc == 8 && strcmp(argv[1], "load") == 0)
        return load(argv[2], atoi(argv[3]), argv[4], argv[5], atoi(argv[6]), atoi(argv[7]));
    fprintf(stderr, "usage: streamload serve PORT CHUNKS RATE | load HOST PORT PATH BODY STREAMS CHUNKS\n");
    return 2;
}
