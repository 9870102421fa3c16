/* gRPC health checks as kubelet's gRPC probe makes them (grpc-go's health client):
 * grpc.health.v1.Health/Check for a service ("" by default) over HTTP/2 with prior
 * knowledge, or over TLS with ALPN h2 for grpcs://. SERVING passes; any other status,
 * a grpc-status other than 0, an answer that is not gRPC, or a transport error fails. */
#include "check_impl.h"

#include "buf.h"
#include "fmt.h"
#include "h2.h"
#include "target.h"
#include "version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#define GRPC_MESSAGE_MAX 16384 /* more than any HealthCheckResponse */

/* What every run of a target sends (kind data). */
struct grpc_request {
	struct buf block; /* the HPACK header block */
	struct buf body;  /* the length-prefixed HealthCheckRequest */
};

/* One run (kind state). grpc-go reads the status from the header block that ends the
 * stream alone (http2_client.go, operateHeaders): the grpc-* fields of any other block
 * are forgotten when it ends. */
struct grpc_run {
	int http_status;
	int grpc_content; /* content-type application/grpc[+...|;...] */
	int blocks;       /* header blocks completed */
	int trailers;     /* a header block ended the stream */
	int have_grpc_status;
	long grpc_status;    /* -1: not a number grpc-go reads */
	const char *details; /* grpc-status-details-bin refused: why */
	long details_code;   /* its google.rpc.Status code, when it was given */
	char message[64];    /* grpc-message, percent-decoded */
	char why[96];        /* a block refused: why */
	struct buf data;     /* the DATA of the stream */
	int retried;         /* the call was made again (h2_unprocessed) */
};

/* gRPC status codes (grpc/doc/statuscodes.md). */
static const char *
code_name(long code)
{
	static const char *const names[] = {"OK",
					    "CANCELLED",
					    "UNKNOWN",
					    "INVALID_ARGUMENT",
					    "DEADLINE_EXCEEDED",
					    "NOT_FOUND",
					    "ALREADY_EXISTS",
					    "PERMISSION_DENIED",
					    "RESOURCE_EXHAUSTED",
					    "FAILED_PRECONDITION",
					    "ABORTED",
					    "OUT_OF_RANGE",
					    "UNIMPLEMENTED",
					    "INTERNAL",
					    "UNAVAILABLE",
					    "DATA_LOSS",
					    "UNAUTHENTICATED"};
	return code >= 0 && code < (long)(sizeof names / sizeof names[0]) ? names[code] : "?";
}

/* grpc.health.v1.HealthCheckResponse.ServingStatus. */
static const char *
serving_name(uint64_t v)
{
	static const char *const names[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
	return v < 4 ? names[v] : NULL;
}

static void
put_varint(struct buf *b, uint64_t v)
{
	do {
		unsigned char c = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_append(b, &c, 1);
	} while (v);
}

static int
grpc_prepare(struct check *c, char *err, size_t errlen)
{
	const struct target *t = check_target(c);
	struct grpc_request *req = calloc(1, sizeof *req);
	if (!req)
		return fmt_error(err, errlen, "out of memory");
	check_set_data(c, req);
	/* grpc-go sends the deadline; servers use it to stop work nobody waits for. */
	char timeout[24], agent[32];
	fmt_format(timeout, sizeof timeout, "%lldm", (long long)check_timeout(c));
	fmt_format(agent, sizeof agent, "podhealth/%s", PODHEALTH_VERSION);
	const char *scheme = t->tls ? "https" : "http";
	const char *authority = t->host_header ? t->host_header : t->authority;
	struct h2_field f[8 + TARGET_MAX_HEADERS] = {
	    H2_FIELD(":method", "POST"),
	    H2_FIELD_VAR(":scheme", scheme),
	    H2_FIELD(":path", "/grpc.health.v1.Health/Check"),
	    H2_FIELD_VAR(":authority", authority),
	    H2_FIELD("content-type", "application/grpc"),
	    H2_FIELD("te", "trailers"),
	    H2_FIELD_VAR("grpc-timeout", timeout),
	    H2_FIELD_VAR("user-agent", agent),
	};
	/* header= is metadata, as grpc-go sends it (h2.c writes names in lower case); a
	 * user-agent of the user's replaces ours. */
	size_t nf = 8;
	for (size_t i = 0; i < t->nheaders; i++) {
		struct h2_field m = h2_header(t->headers[i]);
		int theirs = m.name_len == 10 && strncasecmp(m.name, "user-agent", 10) == 0;
		f[theirs ? 7 : nf++] = m;
	}
	/* HealthCheckRequest{service = 1}: proto3 leaves an empty string out. */
	struct buf msg = {0};
	size_t slen = strlen(t->path);
	if (slen) {
		buf_append(&msg, "\x0a", 1);
		put_varint(&msg, slen);
		buf_append(&msg, t->path, slen);
	}
	unsigned char prefix[5] = {0, (unsigned char)(msg.len >> 24),
				   (unsigned char)(msg.len >> 16), (unsigned char)(msg.len >> 8),
				   (unsigned char)msg.len};
	buf_append(&req->body, prefix, 5);
	buf_append(&req->body, msg.data, msg.len);
	int failed = msg.failed || req->body.failed || h2_encode_headers(f, nf, &req->block) < 0;
	buf_free(&msg);
	return failed ? fmt_error(err, errlen, "out of memory") : 0;
}

static void
grpc_release(struct check *c)
{
	struct grpc_request *req = check_data(c);
	if (!req)
		return;
	buf_free(&req->block);
	buf_free(&req->body);
	free(req);
}

static int
field_is(const struct h2_field *f, const char *name)
{
	return f->name_len == strlen(name) && memcmp(f->name, name, f->name_len) == 0;
}

/* grpc-status as grpc-go reads it (strconv.Atoi: an optional sign, decimal digits):
 * the value, or -1 when it is not a number, and 2^31 for any value outside 0..2^31-1 (a
 * failure whatever it is). */
static long
status_value(const char *v, size_t n)
{
	int neg = n > 0 && v[0] == '-';
	if (n > 0 && (v[0] == '+' || v[0] == '-')) {
		v++;
		n--;
	}
	if (n == 0)
		return -1;
	while (n > 1 && v[0] == '0') {
		v++;
		n--;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return -1;
	unsigned long s;
	if (fmt_parse_uint(v, n, 0, 0x7fffffff, &s) < 0 || (neg && s != 0))
		return 0x80000000L;
	return (long)s;
}

static int decode_field(const unsigned char *p, size_t n, uint64_t field, uint64_t *value);

/* grpc-status-details-bin: a base64 google.rpc.Status, which grpc-go puts in place of
 * grpc-status when it parses, and fails the call on when it does not. */
static void
on_details(struct grpc_run *run, const char *v, size_t n)
{
	unsigned char raw[512];
	long len = buf_base64_decode(v, n, raw, sizeof raw);
	uint64_t code;
	if (len < 0 || decode_field(raw, (size_t)len, 1, &code) < 0) {
		run->details = "gRPC: malformed grpc-status-details-bin";
		return;
	}
	run->details = NULL;
	run->details_code = code > 0x7fffffff ? 0x80000000L : (long)code;
}

static void
on_field(void *arg, const struct h2_field *f, int trailers)
{
	struct grpc_run *run = arg;
	const char *v = f->value;
	size_t n = f->value_len;
	if (trailers && (field_is(f, ":status") || field_is(f, "content-type"))) {
		return; /* grpc-go reads these from the response headers */
	} else if (field_is(f, ":status")) {
		unsigned long s;
		run->http_status = fmt_parse_uint(v, n, 100, 999, &s) == 0 ? (int)s : -1;
	} else if (field_is(f, "content-type")) {
		/* grpc-go: "application/grpc", or followed by '+' or ';' and more. */
		run->grpc_content = n >= 16 && memcmp(v, "application/grpc", 16) == 0 &&
				    (n == 16 || v[16] == '+' || v[16] == ';');
	} else if (field_is(f, "grpc-status")) {
		run->have_grpc_status = 1;
		run->grpc_status = status_value(v, n);
	} else if (field_is(f, "grpc-status-details-bin")) {
		run->details_code = -1;
		on_details(run, v, n);
	} else if (field_is(f, "grpc-message")) {
		/* Percent-encoded (gRPC over HTTP/2, "Responses"). */
		size_t o = 0;
		for (size_t i = 0; i < n && o + 1 < sizeof run->message; i++) {
			int b = fmt_percent_byte(v + i, n - i);
			if (b >= 0) {
				run->message[o++] = (char)b;
				i += 2;
			} else {
				run->message[o++] = v[i];
			}
		}
		run->message[o] = '\0';
	}
}

/* The verdict on the response headers (the first block): grpc-go's on a content-type and
 * HTTP status. Since grpc-go 1.77 (kubelet 1.37's is 1.81), a gRPC content-type makes the
 * answer gRPC whatever its :status, a 500 or none (http2_client.go, operateHeaders); 1.64,
 * the oracle's, wanted a 200 too. */
static const char *
headers_verdict(struct grpc_run *run)
{
	if (run->grpc_content)
		return NULL;
	if (run->have_grpc_status && run->grpc_content == 0 && run->http_status == 200)
		return "not a gRPC answer (content-type)";
	fmt_format(run->why, sizeof run->why, "not a gRPC answer (HTTP %d)", run->http_status);
	return run->why;
}

/* Forgets the grpc-* fields of a block that does not end the stream. */
static void
forget_status(struct grpc_run *run)
{
	run->have_grpc_status = 0;
	run->message[0] = '\0';
	run->details = NULL;
	run->details_code = -1;
}

static const char *
on_block_end(void *arg, int end_stream)
{
	struct grpc_run *run = arg;
	const char *why = NULL;
	/* A 1xx head without a gRPC content-type is informational (grpc-go since 1.76): the
	 * final head follows, unless it ends the stream. With one, it is the final head. */
	if (run->blocks == 0 && !run->grpc_content && run->http_status >= 100 &&
	    run->http_status < 200) {
		if (end_stream)
			return "HTTP/2: a 1xx head that ends the stream (PROTOCOL_ERROR)";
		run->http_status = 0;
		forget_status(run);
		return H2_INFORMATIONAL;
	}
	if (run->blocks == 0)
		why = headers_verdict(run);
	else if (!end_stream)
		why = "gRPC: a HEADERS frame in the middle of the stream";
	run->blocks++;
	run->trailers = end_stream;
	if (!end_stream) /* only the block that ends the stream has the status */
		forget_status(run);
	return why;
}

static int
on_data(void *arg, const char *p, size_t n)
{
	struct grpc_run *run = arg;
	if (run->data.len + n > GRPC_MESSAGE_MAX)
		return -1;
	buf_append(&run->data, p, n);
	return run->data.failed ? -1 : 0;
}

static int
grpc_start(struct check *c)
{
	struct grpc_run *run = check_state(c);
	run->grpc_status = -1;
	run->details_code = -1;
	return 0;
}

static void
grpc_end(struct check *c)
{
	struct grpc_run *run = check_state(c);
	buf_free(&run->data);
}

static void
grpc_connected(struct check *c)
{
	struct grpc_run *run = check_state(c);
	const struct grpc_request *req = check_data(c);
	const struct h2_handler handler = {.field = on_field,
					   .data = on_data,
					   .block_end = on_block_end,
					   .arg = run,
					   .reads_1xx = 1};
	check_want(c, EPOLLIN);
	check_http2(c, &handler, req->block.data, req->block.len, req->body.data, req->body.len);
}

/* Reads a protobuf varint at p[*i], up to n. Returns 0, or -1 when cut short or too long. */
static int
varint(const unsigned char *p, size_t n, size_t *i, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0;; shift += 7) {
		if (*i >= n || shift > 63)
			return -1;
		*v |= (uint64_t)(p[*i] & 0x7f) << shift;
		if (!(p[(*i)++] & 0x80))
			return 0;
	}
}

/* Reads a protobuf message: the last value of varint field (0 when absent, as proto3 reads
 * it); other fields are skipped. Returns 0, or -1 when malformed. */
static int
decode_field(const unsigned char *p, size_t n, uint64_t field, uint64_t *value)
{
	uint64_t *status = value;
	*status = 0;
	size_t i = 0;
	while (i < n) {
		uint64_t key, v;
		if (varint(p, n, &i, &key) < 0)
			return -1;
		unsigned type = key & 7;
		if (type == 0) {
			if (varint(p, n, &i, &v) < 0)
				return -1;
			if (key >> 3 == field)
				*status = v;
		} else if (type == 1 || type == 5) {
			i += type == 1 ? 8 : 4;
		} else if (type == 2) {
			if (varint(p, n, &i, &v) < 0 || v > n - i)
				return -1;
			i += (size_t)v;
		} else {
			return -1; /* groups, or invalid */
		}
		if (i > n || key >> 3 == 0)
			return -1;
	}
	return 0;
}

const char *
check_grpc_answer(const void *data, size_t n, uint64_t *status)
{
	/* One length-prefixed message, uncompressed (we offered no compression). */
	const unsigned char *p = data;
	if (n < 5)
		return "gRPC: no HealthCheckResponse in the answer";
	size_t len = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
	if (p[0] != 0)
		return "gRPC: compressed answer (none was offered)";
	if (len != n - 5)
		return len > n - 5 ? "gRPC: truncated message" : "gRPC: more than one message";
	if (decode_field(p + 5, len, 1, status) < 0) /* HealthCheckResponse.status */
		return "gRPC: malformed HealthCheckResponse";
	return NULL;
}

/* The stream ended: grpc-go's verdict on a unary call, then kubelet's on the answer. */
static void
decide(struct check *c)
{
	struct grpc_run *run = check_state(c);
	check_set_http_status(c, run->http_status);
	if (!run->trailers) {
		/* grpc-go: "server closed the stream without sending trailers". */
		check_finish(c, CHECK_FAIL, "gRPC: the stream ended without trailers");
		return;
	}
	if (run->details) {
		check_finish(c, CHECK_FAIL, "%s", run->details);
		return;
	}
	/* A status in grpc-status-details-bin stands for grpc-status (grpc-go's statusGen). */
	if (run->details_code >= 0) {
		run->have_grpc_status = 1;
		run->grpc_status = run->details_code;
	}
	if (!run->have_grpc_status) {
		check_finish(c, CHECK_FAIL, "gRPC answer without grpc-status");
		return;
	}
	if (run->grpc_status < 0) {
		check_finish(c, CHECK_FAIL, "gRPC: malformed grpc-status");
		return;
	}
	if (run->grpc_status != 0) {
		check_finish(c, CHECK_FAIL, "grpc-status %ld %s%s%.60s", run->grpc_status,
			     code_name(run->grpc_status), run->message[0] ? ": " : "",
			     run->message);
		return;
	}
	uint64_t status;
	const char *why = check_grpc_answer(run->data.data, run->data.len, &status);
	if (why)
		check_finish(c, CHECK_FAIL, "%s", why);
	else if (status != 1 && serving_name(status))
		check_finish(c, CHECK_FAIL, "%s", serving_name(status));
	else if (status != 1)
		check_finish(c, CHECK_FAIL, "status %llu", (unsigned long long)status);
	else
		check_finish(c, CHECK_OK, "SERVING");
}

static void
grpc_stream(struct check *c, int ev)
{
	struct grpc_run *run = check_state(c);
	/* grpc-go retries, transparently, a first attempt the server left unprocessed
	 * (stream.go's shouldRetry: REFUSED_STREAM, or a GOAWAY below the stream whatever its
	 * code); podhealth on a new connection, as grpc-go does after a GOAWAY. */
	if (ev == H2_ERROR && h2_unprocessed(check_h2(c)) && !run->retried) {
		buf_free(&run->data);
		memset(run, 0, sizeof *run);
		run->retried = 1;
		grpc_start(c);
		check_retry(c);
		return;
	}
	if (ev == H2_ERROR)
		check_finish(c, CHECK_FAIL, "%s", h2_error(check_h2(c)));
	else if (ev == H2_END)
		decide(c);
}

static void
grpc_eof(struct check *c)
{
	check_finish(c, CHECK_FAIL, "%s",
		     h2_established(check_h2(c)) ? "connection closed before the gRPC answer"
						 : "connection closed without an HTTP/2 answer");
}

const struct check_kind check_kind_grpc = {
    .alpn = {"h2"},
    .alpn_required = 1,
    .state_size = sizeof(struct grpc_run),
    .prepare = grpc_prepare,
    .start = grpc_start,
    .connected = grpc_connected,
    .stream = grpc_stream,
    .eof = grpc_eof,
    .end = grpc_end,
    .release = grpc_release,
};
