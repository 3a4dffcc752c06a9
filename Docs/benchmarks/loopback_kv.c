// A closed-loop GET/SET client for redis (RESP) and memcached (text protocol) over loopback, to put
// BCache's in-process get next to a cache server's round trip (Docs/BENCHMARKS.md).
//
//   gcc -O2 -o /tmp/loopback_kv Docs/benchmarks/loopback_kv.c
//   /tmp/loopback_kv redis|memcached PORT REQUESTS PIPELINE
//
// One connection to 127.0.0.1:PORT. Keys `bench:key:NNNNNNNN` (18 bytes) over 100,000 keys, values of
// 100 bytes. First SETs every key, then runs REQUESTS SETs and REQUESTS GETs in batches of PIPELINE
// requests (1: one request, wait for its reply, next), and prints requests per second and the mean
// time per request. Every reply is read whole and checked; a wrong reply stops the run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { KEYS = 100000, VALUE = 100, BUFFER = 1 << 20 };
static int redis;
static char in[BUFFER];
static size_t in_start, in_end;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "loopback_kv: %s\n", what);
    exit(1);
}

// Reads one line ending in \r\n into `line` (without it), refilling the buffer from `fd`.
static size_t read_line(int fd, char *line) {
    for (;;) {
        for (size_t i = in_start; i + 1 < in_end; i++) {
            if (in[i] == '\r' && in[i + 1] == '\n') {
                size_t length = i - in_start;
                memcpy(line, in + in_start, length);
                line[length] = 0;
                in_start = i + 2;
                return length;
            }
        }
        if (in_start > 0) {
            memmove(in, in + in_start, in_end - in_start);
            in_end -= in_start;
            in_start = 0;
        }
        if (in_end == BUFFER) fail("reply too long");
        ssize_t n = read(fd, in + in_end, BUFFER - in_end);
        if (n <= 0) fail("connection closed");
        in_end += (size_t)n;
    }
}

// Appends the request for key `k` (a GET, or a SET of `value`) to `out`.
static size_t encode(char *out, int set, unsigned k, const char *value) {
    char key[32];
    snprintf(key, sizeof key, "bench:key:%08u", k);
    if (redis && set)
        return (size_t)sprintf(out, "*3\r\n$3\r\nSET\r\n$18\r\n%s\r\n$%d\r\n%s\r\n", key, VALUE, value);
    if (redis) return (size_t)sprintf(out, "*2\r\n$3\r\nGET\r\n$18\r\n%s\r\n", key);
    if (set) return (size_t)sprintf(out, "set %s 0 0 %d\r\n%s\r\n", key, VALUE, value);
    return (size_t)sprintf(out, "get %s\r\n", key);
}

// Reads and checks the reply to one request.
static void read_reply(int fd, int set) {
    char line[BUFFER];
    read_line(fd, line);
    if (set) {
        if (strcmp(line, redis ? "+OK" : "STORED") != 0) fail(line);
        return;
    }
    if (redis) {
        if (line[0] != '$' || atoi(line + 1) != VALUE) fail(line);
        if (read_line(fd, line) != VALUE) fail("short value");
    } else {
        if (strncmp(line, "VALUE ", 6) != 0) fail(line);
        if (read_line(fd, line) != VALUE) fail("short value");
        read_line(fd, line);
        if (strcmp(line, "END") != 0) fail(line);
    }
}

// Runs `requests` requests of one kind in batches of `pipeline`; returns the seconds taken.
static double run(int fd, int set, long requests, int pipeline, const char *value) {
    static char out[BUFFER];
    unsigned k = 12345;
    double start = now();
    for (long done = 0; done < requests; done += pipeline) {
        size_t length = 0;
        int batch = (int)((requests - done) < pipeline ? requests - done : pipeline);
        for (int i = 0; i < batch; i++) {
            k = k * 1103515245u + 12345u;
            length += encode(out + length, set, k % KEYS, value);
        }
        for (size_t sent = 0; sent < length;) {
            ssize_t n = write(fd, out + sent, length - sent);
            if (n <= 0) fail("write failed");
            sent += (size_t)n;
        }
        for (int i = 0; i < batch; i++) read_reply(fd, set);
    }
    return now() - start;
}

int main(int argc, char **argv) {
    if (argc != 5) fail("usage: loopback_kv redis|memcached PORT REQUESTS PIPELINE");
    redis = strcmp(argv[1], "redis") == 0;
    long requests = atol(argv[3]);
    int pipeline = atoi(argv[4]);
    if (pipeline < 1 || pipeline > 1000 || requests < 1) fail("bad REQUESTS or PIPELINE");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("cannot connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char value[VALUE + 1];
    memset(value, 'v', VALUE);
    value[VALUE] = 0;
    // Load every key, pipelined, so that every GET below hits.
    char out[256];
    for (unsigned k = 0; k < KEYS; k++) {
        size_t length = encode(out, 1, k, value);
        if (write(fd, out, length) != (ssize_t)length) fail("write failed");
        if (k % 100 == 99) for (int i = 0; i < 100; i++) read_reply(fd, 1);
    }
    double set_seconds = run(fd, 1, requests, pipeline, value);
    double get_seconds = run(fd, 0, requests, pipeline, value);
    printf("%s pipeline %d: SET %.0f/s (%.2f us each), GET %.0f/s (%.2f us each)\n", argv[1], pipeline,
           requests / set_seconds, set_seconds / requests * 1e6, requests / get_seconds,
           get_seconds / requests * 1e6);
    return 0;
}
