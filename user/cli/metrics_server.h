/* SPDX-License-Identifier: MIT */
/*
 * --metrics ADDR:PORT: a minimal HTTP server for Prometheus, serving the
 * latest published text at GET /metrics while the trace runs.
 *
 * What a caller may rely on:
 *  - it runs in a thread of its own and never blocks the caller: publishing
 *    swaps a buffer under a mutex the server holds only to copy a pointer;
 *  - one connection at a time; a request is read for at most 2 s and up to
 *    METRICS_REQUEST_MAX bytes (a longer head gets 431, a slow client is
 *    dropped), and the answer is written within 2 s or the connection is
 *    dropped: a client can delay other scrapes, never tracing;
 *  - GET (or HEAD) /metrics answers 200 with the text (503 before the first
 *    publish), any other path 404, any other method 405; every answer
 *    closes the connection;
 *  - requests served and refused are counted (metrics_server_close says them
 *    with -v).
 */
#ifndef MEMTRACE_METRICS_SERVER_H
#define MEMTRACE_METRICS_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#define METRICS_REQUEST_MAX 8192
#define METRICS_DEFAULT_HOST "127.0.0.1"

struct metrics_server;

/*
 * "PORT" (on 127.0.0.1), "HOST:PORT" or "[V6]:PORT", numeric hosts only:
 * 0 and the address in *addr and *len, or -EINVAL.
 */
int metrics_addr_parse(const char *spec, struct sockaddr_storage *addr, socklen_t *len);

/* Binds and starts serving; 0 or -errno (the caller says what failed). */
int metrics_server_open(const char *spec, struct metrics_server **out);
/* Copies text (len bytes) as what the next scrapes get.  0 or -ENOMEM. */
int metrics_server_publish(struct metrics_server *s, const char *text, size_t len);
/* Stops the thread, closes the socket, frees s.  NULL is fine. */
void metrics_server_close(struct metrics_server *s, int verbose);

#endif
