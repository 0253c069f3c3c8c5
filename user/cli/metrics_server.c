// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "metrics_server.h"
#include "metrics_text.h"

#define IO_TIMEOUT_MS 2000

struct metrics_server {
	int listen_fd, stop_fd;
	pthread_t thread;
	pthread_mutex_t lock;
	char *text; /* the latest published text, NULL before the first */
	size_t len;
	unsigned long served, refused;
};

int metrics_addr_parse(const char *spec, struct sockaddr_storage *addr, socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[64];
	const char *colon = strrchr(spec, ':'), *port = spec;
	char *end;
	long p;

	snprintf(host, sizeof(host), "%s", METRICS_DEFAULT_HOST);
	if (colon) {
		size_t n = (size_t)(colon - spec);

		if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
			spec++;
			n -= 2;
		}
		if (!n || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, n);
		host[n] = '\0';
		port = colon + 1;
	}
	p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535)
		return -EINVAL;
	if (getaddrinfo(host, port, &hints, &res) || !res)
		return -EINVAL;
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Waits until fd is ready for events, at most until deadline (ms); 1 ready, 0 not. */
static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1 && (p.revents & events);
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n;

		if (!wait_fd(fd, POLLOUT, IO_TIMEOUT_MS))
			return;
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void answer(int fd, const char *status, const char *type, const char *body, size_t len, int head)
{
	char h[256];
	int n = snprintf(h, sizeof(h),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
			 type, len);

	send_all(fd, h, (size_t)n);
	if (!head)
		send_all(fd, body, len);
}

static void plain(int fd, const char *status, const char *body)
{
	answer(fd, status, "text/plain; charset=utf-8", body, strlen(body), 0);
}

/* Reads the request head; its length, or 0 (dropped) or -1 (too long). */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap - 1) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, IO_TIMEOUT_MS))
			return 0;
		n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)len;
	}
	return -1;
}

static void serve_one(struct metrics_server *s, int fd)
{
	char req[METRICS_REQUEST_MAX + 1], *text = NULL;
	ssize_t n = read_head(fd, req, sizeof(req));
	size_t len = 0;
	int head;

	if (n <= 0) {
		if (n < 0)
			plain(fd, "431 Request Header Fields Too Large", "request too large\n");
		s->refused++;
		return;
	}
	head = strncmp(req, "HEAD ", 5) == 0;
	if (strncmp(req, "GET ", 4) != 0 && !head) {
		plain(fd, "405 Method Not Allowed", "GET /metrics\n");
		s->refused++;
		return;
	}
	if (strncmp(req + (head ? 5 : 4), "/metrics", 8) != 0 || !strchr(" ?", req[(head ? 5 : 4) + 8])) {
		plain(fd, "404 Not Found", "memtrace serves /metrics\n");
		s->refused++;
		return;
	}
	/* A copy, so a slow client never holds the lock the tracer publishes under. */
	pthread_mutex_lock(&s->lock);
	if (s->text && (text = malloc(s->len ? s->len : 1))) {
		memcpy(text, s->text, s->len);
		len = s->len;
	}
	pthread_mutex_unlock(&s->lock);
	if (!text) {
		plain(fd, "503 Service Unavailable", "no sample yet\n");
		s->refused++;
		return;
	}
	answer(fd, "200 OK", METRICS_TEXT_CONTENT_TYPE, text, len, head);
	free(text);
	s->served++;
}

static void *serve(void *arg)
{
	struct metrics_server *s = arg;
	struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN }, { .fd = s->stop_fd, .events = POLLIN } };

	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		serve_one(s, fd);
		close(fd);
	}
	return NULL;
}

int metrics_server_open(const char *spec, struct metrics_server **out)
{
	struct sockaddr_storage addr;
	struct metrics_server *s;
	socklen_t alen;
	int one = 1, err;

	*out = NULL;
	if (metrics_addr_parse(spec, &addr, &alen))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->stop_fd = -1;
	s->listen_fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0) {
		err = -errno;
		goto fail;
	}
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->listen_fd, (struct sockaddr *)&addr, alen) || listen(s->listen_fd, 16)) {
		err = -errno;
		goto fail;
	}
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		err = -errno;
		goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	err = -pthread_create(&s->thread, NULL, serve, s);
	if (err) {
		pthread_mutex_destroy(&s->lock);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	free(s);
	return err;
}

int metrics_server_publish(struct metrics_server *s, const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1), *old;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	pthread_mutex_lock(&s->lock);
	old = s->text;
	s->text = copy;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
	return 0;
}

void metrics_server_close(struct metrics_server *s, int verbose)
{
	uint64_t one = 1;

	if (!s)
		return;
	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(s->thread);
	pthread_join(s->thread, NULL);
	log_debug(verbose, 1, "--metrics: %lu scrapes served, %lu requests refused", s->served, s->refused);
	close(s->listen_fd);
	close(s->stop_fd);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
