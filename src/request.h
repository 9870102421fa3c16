/* Reading one HTTP/1.1 request head with llhttp under fixed limits: the target (path and
 * query), the method, and the Accept header; everything else is parsed and dropped. A
 * request_reader is fed bytes as they arrive and stops after each complete request. */
#ifndef PODHEALTH_REQUEST_H
#define PODHEALTH_REQUEST_H

#include <llhttp.h>
#include <stddef.h>

/* Limits (RFC 9112 leaves them to the server). */
#define REQUEST_HEAD_MAX   (8 * 1024) /* request head; past it 431 */
#define REQUEST_URL_MAX    1024       /* request target; past it 414 */
#define REQUEST_ACCEPT_MAX 256        /* bytes of the Accept header kept */

/* Request targets up to this long live inside the reader; longer ones (up to
 * REQUEST_URL_MAX) get a heap buffer for the duration of the request. */
#define REQUEST_URL_INLINE 96

struct request {
	int method;       /* llhttp_method_t */
	const char *path; /* without the query; not NUL-terminated */
	size_t path_len;
	const char *query; /* after '?', or NULL */
	size_t query_len;
	const char *accept; /* the Accept header (truncated), "" when absent */
	unsigned keep_alive : 1, http10 : 1;
};

struct request_reader {
	llhttp_t parser;
	void (*begin)(struct request_reader *r); /* a request's first byte arrived */
	int error_status; /* a limit the current request broke: 414, 431, 500 */
	size_t head_bytes;
	char field[8]; /* the start of the header name being parsed */
	size_t field_len;
	unsigned in_accept : 1;
	size_t accept_len;
	char accept[REQUEST_ACCEPT_MAX];
	size_t url_len;
	char *url_heap;
	char url[REQUEST_URL_INLINE];
};

enum request_result {
	REQUEST_MORE,     /* every byte consumed; the request is not complete yet */
	REQUEST_COMPLETE, /* a request ended after *used bytes: request_get() it */
	REQUEST_ERROR,    /* malformed or over a limit: answer request_error_status() */
};

void request_init(struct request_reader *r, void (*begin)(struct request_reader *r));

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
