/* The upstream's HTTP/1.x response, read the way Go's net/http client reads it for
 * kubelet: lenient where Go is lenient (bare LF, obsolete line folding, control bytes,
 * any HTTP/X.Y version, heads up to 10 MiB), strict where Go is strict (Transfer-Encoding,
 * conflicting Content-Length, chunk framing, trailers). It is a byte stream parser that
 * keeps only what a verdict needs: the status, the framing, the first Location value and,
 * when asked, the first bytes of the body. llhttp, which podhealth's server side uses, is
 * stricter than Go (it refuses bare LF in chunked bodies, control bytes in names...), so a
 * verdict built on it would differ from kubelet's. */
#ifndef PODHEALTH_RESPONSE_H
#define PODHEALTH_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#define RESPONSE_HEAD_MAX     (10 * 1024 * 1024) /* Go's default MaxResponseHeaderBytes */
#define RESPONSE_CHUNK_LINE   4096               /* Go's bufio buffer: chunk lines, trailers */
#define RESPONSE_LOCATION_MAX 8192

enum response_event {
	RESPONSE_ERROR = -1, /* r->error says why */
	RESPONSE_MORE = 0,   /* feed more bytes */
	RESPONSE_HEAD = 1,   /* the final response's head is complete: call response_body */
	RESPONSE_DONE = 2,   /* the body was read as far as asked */
};

struct response {
	/* The head of the final response, valid from RESPONSE_HEAD. */
	int status;
	int64_t length;    /* body length: -1 when chunked or delimited by the close */
	char *location;    /* the first Location value (NUL-terminated), or NULL; owned */
	int location_long; /* it was longer than RESPONSE_LOCATION_MAX */
	const char *error; /* static, on RESPONSE_ERROR */
	/* The first body bytes, when response_keep asked for them. */
	char *kept;
	size_t kept_len, kept_cap;

	/* Parser state; private. */
	int head_request;
	int state, sub, mode;
	size_t head_bytes;
	unsigned headed : 1, cr : 1, any : 1, first_header : 1, in_value : 1, interesting : 2,
	    name_token : 1, value_started : 1, value_over : 1, trailer : 1, have_cl : 1,
	    cl_conflict : 1, chunk_ext : 2, te_count : 2, trailer_ok : 1, chunk_cr : 1;
	int major, minor;
	char proto[10];
	size_t proto_len;
	char code[5];
	size_t code_len;
	char name[20];
	size_t name_len;
	size_t pending_ws;
	char cl[64], cl_first[64], te[40];
	size_t cl_len, cl_first_len, te_len, location_len, location_cap;
	int64_t remaining; /* of the body or the current chunk */
	size_t limit, body_read;
	size_t chunk_line;
	char hex[20];
	size_t hex_len;
	size_t trailer_bytes;
	uint32_t last4; /* the trailer's last four bytes, to find CR LF CR LF */
};

/* Prepares r for a response to a request that was (head_request) or was not a HEAD.
 * Keeps the body buffer of response_keep; frees the last Location. */
void response_init(struct response *r, int head_request);

/* Makes r keep up to cap bytes of the body in r->kept. Returns 0, or -1 out of memory. */
int response_keep(struct response *r, size_t cap);

/* Feeds n bytes; *used says how many were consumed (the rest belongs to nothing: the
 * caller drops them). Returns an response_event. After RESPONSE_HEAD, response_body must be called
 * before feeding on. */
int response_feed(struct response *r, const char *p, size_t n, size_t *used);

/* After RESPONSE_HEAD: read at most limit bytes of the body. Returns RESPONSE_DONE when there is
 * nothing to read (no body, or limit 0), else RESPONSE_MORE. */
int response_body(struct response *r, size_t limit);

/* The connection was closed. Returns RESPONSE_DONE (a body delimited by the close, or one
 * already complete) or RESPONSE_ERROR. */
int response_eof(struct response *r);

/* Returns 1 once the final response's head was read (errors after it are in the body). */
int response_headed(const struct response *r);

/* Frees what r holds. */
void response_free(struct response *r);

/* A Content-Length value as Go reads it, strconv.ParseUint(s, 10, 63) (HTTP/1.1 and
 * x/net's HTTP/2 alike). Returns 0 with *out, or -1. */
int response_parse_length(const char *s, size_t n, int64_t *out);

#endif
