/* The HTTP/1.1 server side: accepts clients, reads requests (request.c) under fixed limits,
 * keeps connections alive, and writes responses in order. What to answer is the
 * handler's business (routes.c). */
#ifndef PODHEALTH_HTTPD_H
#define PODHEALTH_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct loop;
struct conn;
struct request;

/* Limits (RFC 9112 leaves them to the server); request.h has those on a request's size. */
#define HTTPD_REQUEST_TIMEOUT 5000  /* ms from a request's first byte to its end */
#define HTTPD_IDLE_TIMEOUT    60000 /* ms a keep-alive connection may sit idle */
#define HTTPD_LINGER          1000  /* ms to drain a client after our last response */

/* Unsent response bytes, over all clients, past which a client that does not read its
 * responses is dropped (one that pipelines requests and never reads); and each client's
 * kernel send buffer. */
#define HTTPD_OUTPUT_BUDGET (1024 * 1024)
#define HTTPD_SNDBUF        (64 * 1024)

/* Called once per request. It answers with httpd_respond, now or later (after
 * httpd_defer); until then the connection reads no further requests. The request's
 * strings live until it returns. */
typedef void (*httpd_handler)(void *ctx, struct conn *c, const struct request *req);

struct httpd;

/* Returns a server accepting on listen_fd (taken over), or NULL when out of memory. */
struct httpd *httpd_new(struct loop *loop, int listen_fd, unsigned max_conns, httpd_handler handler,
			void *ctx);

/* Serves the connected, non-blocking socket fd as a client (taken over on success).
 * Returns 0, or -1 when out of memory (fd left open). Used for accepted connections, and
 * by the fuzzer to feed byte streams through the real connection handling. */
int httpd_adopt(struct httpd *s, int fd);

/* Returns the number of open client connections. */
unsigned httpd_connections(const struct httpd *s);

/* Closes every connection and the listener, and frees s. */
void httpd_free(struct httpd *s);

/* Stops accepting and closes idle clients; done(arg) runs once the requests in flight
 * are answered, or after grace_ms at the latest. */
void httpd_drain(struct httpd *s, int64_t grace_ms, void (*done)(void *), void *arg);

/* Answers c's current request with a body of content_type. extra_headers is "" or
 * complete "Name: value\r\n" lines. The body is omitted for HEAD. */
void httpd_respond(struct conn *c, enum http_status status, const char *content_type,
		   const char *extra_headers, const char *body, size_t len);

/* Answers with status and its default body, as text. */
void httpd_respond_status(struct conn *c, enum http_status status);

/* The handler will answer c's current request later: end(arg) runs once the request
 * ends, answered or not (the client went away, or the server shut down). */
void httpd_defer(struct conn *c, void (*end)(void *arg), void *arg);

#endif
