#include "request.h"

#include <llhttp.h>

#include "status.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Request targets up to this long live inside the reader; longer ones (up to
 * REQUEST_URL_MAX) get a heap buffer for the duration of the request. */
#define REQUEST_URL_INLINE 96

struct request_reader {
	llhttp_t parser;
	void (*begin)(void *arg); /* a request's first byte arrived */
	void *arg;
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

size_t
request_reader_size(void)
{
	return sizeof(struct request_reader);
}

static struct request_reader *
reader(llhttp_t *p)
{
	return p->data;
}

static int
count_head(struct request_reader *r, size_t len)
{
	r->head_bytes += len;
	if (r->head_bytes > REQUEST_HEAD_MAX) {
		r->error_status = HTTP_HEADERS_TOO_LARGE;
		return -1;
	}
	return 0;
}

static int
on_message_begin(llhttp_t *p)
{
	struct request_reader *r = reader(p);
	r->head_bytes = 0;
	r->url_len = 0;
	r->error_status = 0;
	r->accept_len = 0;
	r->field_len = 0;
	r->in_accept = 0;
	r->begin(r->arg);
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t len)
{
	struct request_reader *r = reader(p);
	if (r->url_len + len > REQUEST_URL_MAX) {
		r->error_status = HTTP_URI_TOO_LONG;
		return -1;
	}
	if (r->url_len + len > REQUEST_URL_INLINE && !r->url_heap) {
		r->url_heap = malloc(REQUEST_URL_MAX);
		if (!r->url_heap) {
			r->error_status = HTTP_INTERNAL_SERVER_ERROR;
			return -1;
		}
		memcpy(r->url_heap, r->url, r->url_len);
	}
	memcpy((r->url_heap ? r->url_heap : r->url) + r->url_len, at, len);
	r->url_len += len;
	return count_head(r, len);
}

/* Appends what fits of at (len bytes) to buf (cap bytes, *used so far), dropping the rest. */
static void
keep(char *buf, size_t cap, size_t *used, const char *at, size_t len)
{
	size_t room = cap - *used;
	memcpy(buf + *used, at, len < room ? len : room);
	*used += len < room ? len : room;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct request_reader *r = reader(p);
	/* Keep enough of the name to recognise Accept, however the bytes arrive. */
	keep(r->field, sizeof r->field, &r->field_len, at, len);
	return count_head(r, len);
}

static int
on_header_field_complete(llhttp_t *p)
{
	struct request_reader *r = reader(p);
	r->in_accept = r->field_len == 6 && strncasecmp(r->field, "accept", 6) == 0;
	r->field_len = 0;
	/* Repeated Accept lines form one list. accept_len stays below sizeof r->accept,
	 * leaving room for the NUL (a full buffer once let the next value overflow it). */
	if (r->in_accept && r->accept_len > 0 && r->accept_len + 1 < sizeof r->accept)
		r->accept[r->accept_len++] = ',';
	return 0;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct request_reader *r = reader(p);
	if (r->in_accept && r->accept_len + 1 < sizeof r->accept)
		keep(r->accept, sizeof r->accept - 1, &r->accept_len, at, len); /* room for NUL */
	return count_head(r, len);
}

static int
on_header_value_complete(llhttp_t *p)
{
	struct request_reader *r = reader(p);
	r->in_accept = 0;
	return count_head(r, 4); /* ": " and CRLF */
}

static int
on_message_complete(llhttp_t *p)
{
	(void)p;
	/* Pause so the request is handled outside the parser, and so pipelined requests
	 * after it wait until it has been answered (RFC 9112 section 9.3.2). */
	return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_message_complete = on_message_complete,
};

void
request_init(struct request_reader *r, void (*begin)(void *arg), void *arg)
{
	*r = (struct request_reader){0}; /* the owner's bytes need not be zero */
	llhttp_init(&r->parser, HTTP_REQUEST, &settings);
	r->parser.data = r;
	r->begin = begin;
	r->arg = arg;
}

enum request_result
request_feed(struct request_reader *r, const char *data, size_t len, size_t *used)
{
	size_t off = 0;
	for (;;) {
		llhttp_errno_t err = llhttp_execute(&r->parser, data + off, len - off);
		if (err == HPE_OK) {
			*used = len;
			return REQUEST_MORE;
		}
		if (err != HPE_PAUSED && err != HPE_PAUSED_UPGRADE)
			return REQUEST_ERROR;
		off = (size_t)(llhttp_get_error_pos(&r->parser) - data);
		if (err == HPE_PAUSED) {
			llhttp_resume(&r->parser);
			*used = off;
			return REQUEST_COMPLETE;
		}
		/* An Upgrade (curl --http2 asks for h2c) is ignored, as RFC 9110 section 7.8
		 * allows: the answer was HTTP/1.1, and so is the next request. */
		llhttp_resume_after_upgrade(&r->parser);
	}
}

int
request_error_status(const struct request_reader *r)
{
	return r->error_status ? r->error_status : HTTP_BAD_REQUEST;
}

void
request_get(struct request_reader *r, struct request *req)
{
	llhttp_t *p = &r->parser;
	const char *url = r->url_heap ? r->url_heap : r->url;
	size_t len = r->url_len;
	/* Absolute-form targets (RFC 9112 section 3.2.2) are accepted: skip to the path. */
	if (len > 7 && strncasecmp(url, "http://", 7) == 0) {
		const char *slash = memchr(url + 7, '/', len - 7);
		size_t skip = slash ? (size_t)(slash - url) : len;
		url += skip;
		len -= skip;
	}
	const char *q = memchr(url, '?', len);
	r->accept[r->accept_len] = '\0';
	*req = (struct request){
	    .method = llhttp_get_method(p) == HTTP_GET       ? REQUEST_GET
		      : llhttp_get_method(p) == HTTP_HEAD    ? REQUEST_HEAD
		      : llhttp_get_method(p) == HTTP_CONNECT ? REQUEST_CONNECT
							     : REQUEST_OTHER,
	    .path = url,
	    .path_len = q ? (size_t)(q - url) : len,
	    .query = q ? q + 1 : NULL,
	    .query_len = q ? len - (size_t)(q - url) - 1 : 0,
	    .accept = r->accept,
	    .keep_alive = llhttp_should_keep_alive(p) != 0,
	    .http10 = llhttp_get_http_major(p) == 1 && llhttp_get_http_minor(p) == 0,
	};
}

void
request_done(struct request_reader *r)
{
	free(r->url_heap);
	r->url_heap = NULL;
	r->url_len = 0;
}
