/* HTTP checks: send kubelet's request, read just enough of the response to know its status. */
#ifndef PODHEALTH_CHECK_HTTP_H
#define PODHEALTH_CHECK_HTTP_H

#include <stddef.h>

#include <llhttp.h>

struct check;

/* Bytes of response head read before giving up on an upstream. */
#define HTTP_RESP_HEAD_MAX (16 * 1024)

/* An incremental parser of an upstream's response head. */
struct http_resp {
	llhttp_t parser;
	size_t head; /* bytes fed so far */
	int status;  /* final status once known */
};

/* Prepares r for a new response. */
void http_resp_init(struct http_resp *r);

/* Feeds len bytes. Returns the final status (101-599; interim 1xx responses are skipped)
 * once the response head is complete, -2 when more bytes are needed, or -1 when the bytes
 * are not an HTTP/1.x response or the head exceeds HTTP_RESP_HEAD_MAX. */
int http_resp_feed(struct http_resp *r, const char *data, size_t len);

/* Continues check c once its connection is established: writes the request, reads the
 * status, and calls check_finish. */
void check_http_connected(struct check *c);

#endif
