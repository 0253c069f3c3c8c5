// SPDX-License-Identifier: MIT
/* metrics_server: addresses, and a real server on loopback. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics_server.h"

Test(metrics_server, addresses)
{
	struct sockaddr_storage a;
	socklen_t len;
	char host[64];

	cr_assert_eq(metrics_addr_parse("9464", &a, &len), 0);
	cr_assert_eq(a.ss_family, AF_INET);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&a)->sin_addr, host, sizeof(host));
	cr_expect_str_eq(host, "127.0.0.1");
	cr_expect_eq(ntohs(((struct sockaddr_in *)&a)->sin_port), 9464);
	cr_assert_eq(metrics_addr_parse("0.0.0.0:80", &a, &len), 0);
	cr_assert_eq(metrics_addr_parse("[::1]:9464", &a, &len), 0);
	cr_expect_eq(a.ss_family, AF_INET6);
	for (const char *bad[] = { "", "x", "0", "70000", "localhost:12", ":80", "1.2.3.4:", "1.2.3.4:12x", "[::1:9" },
	     *const *b = bad; b < bad + sizeof(bad) / sizeof(bad[0]); b++)
		cr_expect_eq(metrics_addr_parse(*b, &a, &len), -EINVAL, "%s", *b);
}

/* One request to port; the whole answer in buf. */
static void ask(int port, const char *req, char *buf, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t len = 0;
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	while (len < cap - 1 && (n = recv(fd, buf + len, cap - 1 - len, 0)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

Test(metrics_server, serves_what_was_published)
{
	struct metrics_server *s;
	char spec[32], buf[16384], *big;
	int port = free_port();

	snprintf(spec, sizeof(spec), "%d", port);
	cr_assert_eq(metrics_server_open(spec, &s), 0);
	ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
	cr_expect(strncmp(buf, "HTTP/1.1 503 ", 13) == 0, "%s", buf);
	cr_assert_eq(metrics_server_publish(s, "a 1\n", 4), 0);
	ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
	cr_expect(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", buf);
	cr_expect(strstr(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), "%s", buf);
	cr_expect(strstr(buf, "Content-Length: 4\r\n"), "%s", buf);
	cr_expect(strstr(buf, "\r\n\r\na 1\n"), "%s", buf);
	ask(port, "HEAD /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	cr_expect(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0 && !strstr(buf, "a 1"), "%s", buf);
	ask(port, "GET /metrics?x=1 HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	cr_expect(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "%s", buf);
	ask(port, "GET /metricsx HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	cr_expect(strncmp(buf, "HTTP/1.1 404 ", 13) == 0, "%s", buf);
	ask(port, "POST /metrics HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	cr_expect(strncmp(buf, "HTTP/1.1 405 ", 13) == 0, "%s", buf);
	big = malloc(METRICS_REQUEST_MAX + 100);
	memset(big, 'a', METRICS_REQUEST_MAX + 99);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	big[METRICS_REQUEST_MAX + 99] = '\0';
	ask(port, big, buf, sizeof(buf));
	cr_expect(strncmp(buf, "HTTP/1.1 431 ", 13) == 0, "%s", buf);
	free(big);
	/* The port is taken while it serves. */
	struct metrics_server *again;

	cr_expect_eq(metrics_server_open(spec, &again), -EADDRINUSE);
	metrics_server_close(s, 0);
}
