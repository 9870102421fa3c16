/* HTTP checks: send kubelet's request, read just enough of the response to decide. */
#ifndef PODHEALTH_CHECK_HTTP_H
#define PODHEALTH_CHECK_HTTP_H

#include <stddef.h>

#include <llhttp.h>

struct check;

/* Bytes of response head read before giving up on an upstream. */
#define HTTP_RESP_HEAD_MAX (16 * 1024)

/* An incremental parser of an upstream's response. Zero-initialise before first use. */
struct http_resp {
	llhttp_t parser;
	size_t head; /* head bytes fed so far */
	int status;  /* final status once the head is complete */
	int done;    /* nothing more to read */
	char *body;  /* first body bytes, when wanted; owned */
	size_t body_len, body_cap;
};

/* Makes r keep up to cap bytes of body (for body= checks). Returns 0, or -1 when out of
 * memory. Call once; the buffer is reused by every http_resp_init. */
int http_resp_want_body(struct http_resp *r, size_t cap);

/* Prepares r for a new response. */
void http_resp_init(struct http_resp *r);

/* Feeds len bytes. Returns the final status (101-599; interim 1xx responses are skipped)
 * once r has what it needs (the head; with a body buffer, the body up to its end or the
 * buffer's capacity), -2 when more bytes are needed, or -1 when the bytes are not an
 * HTTP/1.x response or the head exceeds HTTP_RESP_HEAD_MAX. */
int http_resp_feed(struct http_resp *r, const char *data, size_t len);

/* The upstream closed the connection. Returns the status when the response is complete
 * (a body delimited by the close), else -1. */
int http_resp_eof(struct http_resp *r);

/* Frees the body buffer. */
void http_resp_free(struct http_resp *r);

/* Continues check c once its connection is established: writes the request, reads the
 * response, and calls check_finish. */
void check_http_connected(struct check *c);

#endif
