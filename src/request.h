/* Reading one HTTP/1.1 request head with llhttp under fixed limits: the target (path and
 * query), the method, and the Accept header; everything else is parsed and dropped. A
 * request_reader is fed bytes as they arrive and stops after each complete request. */
#ifndef PODHEALTH_REQUEST_H
#define PODHEALTH_REQUEST_H

#include <stddef.h>

/* Limits (RFC 9112 leaves them to the server). */
#define REQUEST_HEAD_MAX   (8 * 1024) /* request head; past it 431 */
#define REQUEST_URL_MAX    1024       /* request target; past it 414 */
#define REQUEST_ACCEPT_MAX 256        /* bytes of the Accept header kept */

/* The methods the server tells apart. */
enum request_method { REQUEST_GET, REQUEST_HEAD, REQUEST_CONNECT, REQUEST_OTHER };

struct request {
	enum request_method method;
	const char *path; /* without the query; not NUL-terminated */
	size_t path_len;
	const char *query; /* after '?', or NULL */
	size_t query_len;
	const char *accept; /* the Accept header (truncated), "" when absent */
	unsigned keep_alive : 1, http10 : 1;
};

/* A streaming parser's results (STYLE.md): -1, 0 more, or a positive event. */
enum request_result {
	REQUEST_ERROR = -1,   /* malformed or over a limit: answer request_error_status() */
	REQUEST_MORE = 0,     /* every byte consumed; the request is not complete yet */
	REQUEST_COMPLETE = 1, /* a request ended after *used bytes: request_get() it */
};

/* A reader's state (llhttp's inside), for its owner to allocate: request_reader_size()
 * bytes, aligned for any type. */
struct request_reader;
size_t request_reader_size(void);

/* Readies r; begin(arg) runs when a request's first byte arrives. */
void request_init(struct request_reader *r, void (*begin)(void *arg), void *arg);

/* Parses up to len bytes; *used is how many were consumed (all but on COMPLETE). */
enum request_result request_feed(struct request_reader *r, const char *data, size_t len,
				 size_t *used);

/* The status for a REQUEST_ERROR: 400 for malformed input, or the limit broken. */
int request_error_status(const struct request_reader *r);

/* The completed request; its strings live until request_done(). */
void request_get(struct request_reader *r, struct request *req);

/* Lets go of the completed request and readies the reader for the next one. */
void request_done(struct request_reader *r);

#endif
