/* The HTTP/1.1 server side: accepts clients, parses requests with llhttp under fixed
 * limits, keeps connections alive, and writes responses in order. What to answer is the
 * handler's business (routes.c). */
#ifndef PODHEALTH_SERVER_H
#define PODHEALTH_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

struct loop;
struct conn;

/* Limits (RFC 9112 leaves them to the server). */
#define SERVER_HEAD_MAX        (8 * 1024) /* request head; past it 431 */
#define SERVER_URL_MAX         1024       /* request target; past it 414 */
#define SERVER_REQUEST_TIMEOUT 5000       /* ms from a request's first byte to its end */
#define SERVER_IDLE_TIMEOUT    60000      /* ms a keep-alive connection may sit idle */
#define SERVER_LINGER          1000       /* ms to drain a client after our last response */

#define SERVER_ACCEPT_MAX 128 /* bytes of the Accept header kept */

struct request {
	int method;       /* llhttp_method_t */
	const char *path; /* without the query; not NUL-terminated */
	size_t path_len;
	const char *query; /* after '?', or NULL */
	size_t query_len;
	const char *accept; /* the Accept header (truncated), "" when absent */
};

/* What a handler keeps while a request waits (server_conn_state); reset per request. */
struct request_state {
	struct waiter waiter;
	unsigned flags;
	char *note; /* handler's heap string, freed by the server when the request ends */
};

/* Called once per request. It answers with server_respond, now or later; until then the
 * connection reads no further requests. The request's strings live until it returns. */
typedef void (*server_handler)(void *ctx, struct conn *c, const struct request *req);

struct server;

/* Returns a server accepting on listen_fd (taken over), or NULL when out of memory. */
struct server *server_new(struct loop *loop, int listen_fd, unsigned max_conns,
			  server_handler handler, void *ctx);

/* Serves the connected, non-blocking socket fd as a client (taken over on success).
 * Returns 0, or -1 when out of memory (fd left open). Used for accepted connections, and
 * by the fuzzer to feed byte streams through the real connection handling. */
int server_adopt(struct server *s, int fd);

/* Returns the number of open client connections. */
unsigned server_connections(const struct server *s);

/* Closes every connection and the listener, and frees s. */
void server_free(struct server *s);

/* Stops accepting and closes idle clients; done(arg) runs once the requests in flight
 * are answered, or after grace_ms at the latest. */
void server_drain(struct server *s, int64_t grace_ms, void (*done)(void *), void *arg);

/* Answers c's current request with a body of content_type. extra_headers is "" or
 * complete "Name: value\r\n" lines. The body is omitted for HEAD. */
void server_respond(struct conn *c, int status, const char *content_type, const char *extra_headers,
		    const char *body, size_t len);

/* The state kept for c's current request, for handlers that answer later; the server
 * cancels its waiter and frees its note when the request ends or the client goes. */
struct request_state *server_conn_state(struct conn *c);

/* Returns the connection whose request state embeds w. */
struct conn *server_waiter_conn(struct waiter *w);

#endif
