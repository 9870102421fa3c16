/* HTTP/2 framing for one client request (RFC 9113), streamed: a frame's payload is never
 * held whole. Header blocks go through the HPACK decoder (hpack.c) as they arrive; DATA
 * goes to the handler. Anything a well-behaved server does not do ends the request with a
 * reason. */
#include "h2.h"

#include "buf.h"
#include "fmt.h"
#include "hpack.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char h2_informational[] = "a 1xx head";

enum {
	T_DATA,
	T_HEADERS,
	T_PRIORITY,
	T_RST_STREAM,
	T_SETTINGS,
	T_PUSH_PROMISE,
	T_PING,
	T_GOAWAY,
	T_WINDOW_UPDATE,
	T_CONTINUATION,
	T_PRIORITY_UPDATE = 0x10 /* RFC 9218 */
};

enum { F_END_STREAM = 0x1, F_ACK = 0x1, F_END_HEADERS = 0x4, F_PADDED = 0x8, F_PRIORITY = 0x20 };

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* Where the connection is. */
enum h2_phase {
	H2_PREFACE,  /* waiting for the server's SETTINGS */
	H2_OPEN,     /* stream 1 open, between header blocks */
	H2_IN_BLOCK, /* a header block is open: only its CONTINUATION may come */
	H2_ENDED,    /* stream 1 ended */
};

struct h2 {
	struct h2_handler handler;
	enum h2_phase phase;
	struct hpack hpack;
	struct buf out;
	size_t out_off;
	/* the frame being read */
	unsigned char head[9];
	size_t head_len;
	uint32_t length, stream;
	uint8_t type, flags;
	size_t done; /* payload bytes of this frame read */
	size_t pad;  /* padding at the end of this frame */
	size_t skip; /* payload bytes to skip before the content (pad length, priority) */
	unsigned char small[8];
	/* state */
	uint32_t block_stream;
	int block_end_stream;
	int blocks; /* header blocks of stream 1 so far, 1xx heads aside */
	/* the header block being read (stream 1) */
	int fields;        /* fields read */
	const char *bad;   /* why a field was refused */
	int informational; /* a 1xx head (its :status), skipped */
	int block_final;   /* this frame's block fragment was fed as the last */
	unsigned acks;     /* SETTINGS and PING acknowledgements queued since out was last empty */
	int unprocessed;   /* the error: stream 1 refused before its head (h2_unprocessed) */
	int goaway_error;  /* a GOAWAY with an error code came */
	int settings_acks; /* SETTINGS acknowledgements: ours was the one SETTINGS asked */
	int window_seen;   /* this SETTINGS frame had an INITIAL_WINDOW_SIZE */
	const char *error;
	char why[96];
};

static int byte_refused(int in_value, unsigned char c);

static int
fail(struct h2 *h, const char *why)
{
	if (!h->error)
		h->error = why;
	return H2_ERROR;
}

static void
put_frame(struct buf *b, uint8_t type, uint8_t flags, uint32_t stream, const void *p, size_t n)
{
	unsigned char f[9] = {(unsigned char)(n >> 16),
			      (unsigned char)(n >> 8),
			      (unsigned char)n,
			      type,
			      flags,
			      (unsigned char)(stream >> 24 & 0x7f),
			      (unsigned char)(stream >> 16),
			      (unsigned char)(stream >> 8),
			      (unsigned char)stream};
	buf_append(b, f, 9);
	buf_append(b, p, n);
}

struct h2_field
h2_header(const char *line)
{
	size_t n = strcspn(line, ":");
	const char *v = line + n + (line[n] == ':');
	v += strspn(v, " \t");
	return (struct h2_field){line, v, n, strlen(v)};
}

/* An HPACK string (RFC 7541 section 5.2), as is (no Huffman code): its length as an
 * integer with a 7-bit prefix (section 5.1), then its bytes, in lower case if lower. */
static void
hpack_string(struct buf *out, const char *s, size_t n, int lower)
{
	unsigned char len[12], *p = len;
	if (n < 127) {
		*p++ = (unsigned char)n;
	} else {
		*p++ = 127;
		for (size_t rest = n - 127;; rest >>= 7) {
			*p++ = (unsigned char)(rest < 128 ? rest : (rest & 127) | 128);
			if (rest < 128)
				break;
		}
	}
	buf_append(out, len, (size_t)(p - len));
	for (size_t i = 0; i < n; i++) {
		char c = lower ? (char)tolower((unsigned char)s[i]) : s[i];
		buf_append(out, &c, 1);
	}
}

int
h2_encode_headers(const struct h2_field *fields, size_t n, struct buf *out)
{
	/* Each field a literal without indexing and with a new name (section 6.2.2): the
	 * block uses no table, so any connection can take it. */
	static const unsigned char literal = 0x00;
	for (size_t i = 0; i < n; i++) {
		buf_append(out, &literal, 1);
		hpack_string(out, fields[i].name, fields[i].name_len, 1);
		hpack_string(out, fields[i].value, fields[i].value_len, 0);
	}
	return out->failed ? -1 : 0;
}

struct h2 *
h2_new(const struct h2_handler *handler, const void *block, size_t block_len, const void *body,
       size_t body_len)
{
	struct h2 *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	hpack_init(&h->hpack);
	h->hpack.refuse = byte_refused;
	h->handler = *handler;
	/* No server push; everything else at its default (RFC 9113 section 6.5.2). */
	static const unsigned char settings[] = {0, 2, 0, 0, 0, 0};
	buf_append(&h->out, preface, sizeof preface - 1);
	put_frame(&h->out, T_SETTINGS, 0, 0, settings, sizeof settings);
	put_frame(&h->out, T_HEADERS, F_END_HEADERS | (body ? 0 : F_END_STREAM), 1, block,
		  block_len);
	if (body)
		put_frame(&h->out, T_DATA, F_END_STREAM, 1, body, body_len);
	if (h->out.failed) {
		h2_free(h);
		return NULL;
	}
	return h;
}

void
h2_free(struct h2 *h)
{
	if (!h)
		return;
	hpack_free(&h->hpack);
	buf_free(&h->out);
	free(h);
}

const char *
h2_output(struct h2 *h, size_t *len)
{
	*len = h->out.len - h->out_off;
	return *len ? h->out.data + h->out_off : NULL;
}

void
h2_sent(struct h2 *h, size_t n)
{
	h->out_off += n;
	if (h->out_off == h->out.len)
		h->out.len = h->out_off = h->acks = 0;
}

const char *
h2_error(const struct h2 *h)
{
	return h->error ? h->error : "HTTP/2 error";
}

int
h2_unprocessed(const struct h2 *h)
{
	return h->unprocessed;
}

int
h2_established(const struct h2 *h)
{
	return h->phase != H2_PREFACE;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 9113 section 7. */
static const char *
error_name(uint32_t code)
{
	static const char *const names[] = {"NO_ERROR",
					    "PROTOCOL_ERROR",
					    "INTERNAL_ERROR",
					    "FLOW_CONTROL_ERROR",
					    "SETTINGS_TIMEOUT",
					    "STREAM_CLOSED",
					    "FRAME_SIZE_ERROR",
					    "REFUSED_STREAM",
					    "CANCEL",
					    "COMPRESSION_ERROR",
					    "CONNECT_ERROR",
					    "ENHANCE_YOUR_CALM",
					    "INADEQUATE_SECURITY",
					    "HTTP_1_1_REQUIRED"};
	return code < sizeof names / sizeof names[0] ? names[code] : "unknown error";
}

/* Whether byte c refuses the field: in a value, a control byte but HTAB; in a regular
 * field's name, anything but a lower-case token character. */
static int
byte_refused(int in_value, unsigned char c)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
	return in_value ? (c < 0x20 && c != '\t') || c == 0x7f : !c || !strchr(tchar, c);
}

/* A header field of stream 1 as x/net/http2's framer (readMetaFrame) and grpc-go take it
 * (RFC 9113 8.2.1, 8.3): a value without control bytes but HTAB; a name in lower-case
 * token characters; one pseudo-header, :status, first in its block (the framer's rule:
 * x/net's transport refuses it in trailers too, grpc-go does not, and podhealth does
 * not, its verdict made on the head); a value cut by the decoder (hpack.h) refused past
 * its kept part. A 1xx head is skipped, as x/net/http2 (since v0.31) and grpc-go skip it:
 * the final head follows, however many come first (x/net caps their bytes at 10 MiB; here
 * the check's timeout bounds them, and nothing of them is kept). Returns NULL, or why the
 * field is malformed. */
static const char *
field_rule(struct h2 *h, const struct h2_field *f)
{
	const char *v = f->value, *bad = "HTTP/2: malformed header field (PROTOCOL_ERROR)";
	if (h->hpack.cut_refused) /* a byte past the kept part of the value was refused */
		return bad;
	for (size_t i = 0; i < f->value_len; i++)
		if (byte_refused(1, (unsigned char)v[i]))
			return bad;
	if (f->name_len && f->name[0] == ':') {
		if (h->fields || f->name_len != 7 || memcmp(f->name, ":status", 7))
			return bad;
		h->informational = !h->handler.reads_1xx && !h->blocks && f->value_len == 3 &&
				   v[0] == '1' && isdigit((unsigned char)v[1]) &&
				   isdigit((unsigned char)v[2]);
	} else {
		for (size_t i = 0; i < f->name_len; i++)
			if (byte_refused(0, (unsigned char)f->name[i]))
				return bad;
		if (!f->name_len)
			return bad;
	}
	h->fields++;
	return NULL;
}

/* A field of a header block, decoded: for stream 1, checked and handed on. The first
 * malformed one is kept in h->bad (the decoder goes on: its table must stay in step). */
static void
on_field(void *arg, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct h2 *h = arg;
	if (h->block_stream != 1 || h->bad)
		return;
	struct h2_field f = {name, value, name_len, value_len};
	if ((h->bad = field_rule(h, &f)) == NULL && !h->informational && h->handler.field)
		h->handler.field(h->handler.arg, &f, h->blocks > 0);
}

/* Feeds part of a header block to HPACK; final: it is the block's last byte. */
static int
inflate(struct h2 *h, const char *p, size_t n, int final)
{
	if (hpack_decode(&h->hpack, (const unsigned char *)p, n, final, on_field, h) < 0)
		return fail(h, "HTTP/2: bad header compression (HPACK)");
	return h->bad ? fail(h, h->bad) : H2_MORE;
}

/* The frame header is complete: check it, and set up reading its payload. */
static int
frame_begin(struct h2 *h)
{
	h->length = (uint32_t)h->head[0] << 16 | (uint32_t)h->head[1] << 8 | h->head[2];
	h->type = h->head[3];
	h->flags = h->head[4];
	h->stream = be32(h->head + 5) & 0x7fffffff;
	h->done = h->pad = h->skip = h->window_seen = 0;
	h->block_final = 0;
	if (h->phase == H2_PREFACE) {
		if (memcmp(h->head, "HTTP/", 5) == 0)
			return fail(h, "not an HTTP/2 server: it answered HTTP/1.x");
		/* Any SETTINGS frame, an acknowledgement too, is a server preface to grpc-go
		 * (http2_client.go, reader), whose verdict the gRPC kind follows. */
		if (h->type != T_SETTINGS)
			return fail(h, "not an HTTP/2 server: no SETTINGS frame first");
	}
	if (h->length > H2_FRAME_MAX)
		return fail(h, "HTTP/2: frame larger than 16384 bytes (FRAME_SIZE_ERROR)");
	if (h->phase == H2_IN_BLOCK && (h->type != T_CONTINUATION || h->stream != h->block_stream))
		return fail(h, "HTTP/2: header block interrupted (PROTOCOL_ERROR)");
	switch (h->type) {
	case T_SETTINGS:
		if (h->phase == H2_PREFACE)
			h->phase = H2_OPEN;
		if (h->stream || (h->flags & F_ACK ? h->length != 0 : h->length % 6 != 0))
			return fail(h, "HTTP/2: malformed SETTINGS frame");
		break;
	case T_PING:
		if (h->stream || h->length != 8)
			return fail(h, "HTTP/2: malformed PING frame");
		break;
	case T_GOAWAY:
		if (h->stream || h->length < 8)
			return fail(h, "HTTP/2: malformed GOAWAY frame");
		break;
	case T_RST_STREAM:
		if (h->stream == 0 || h->length != 4)
			return fail(h, "HTTP/2: malformed RST_STREAM frame");
		break;
	case T_WINDOW_UPDATE:
		if (h->length != 4)
			return fail(h, "HTTP/2: malformed WINDOW_UPDATE frame");
		break;
	/* Go's framer (x/net, kubelet's and grpc-go's) parses these and refuses a malformed
	 * one: PRIORITY since long, PRIORITY_UPDATE since v0.50. */
	case T_PRIORITY:
		if (h->stream == 0 || h->length != 5)
			return fail(h, "HTTP/2: malformed PRIORITY frame");
		break;
	case T_PRIORITY_UPDATE:
		if (h->stream || h->length < 4)
			return fail(h, "HTTP/2: malformed PRIORITY_UPDATE frame");
		break;
	case T_PUSH_PROMISE:
		return fail(h, "HTTP/2: PUSH_PROMISE though push was disabled (PROTOCOL_ERROR)");
	case T_CONTINUATION:
		if (h->phase != H2_IN_BLOCK)
			return fail(h, "HTTP/2: CONTINUATION without HEADERS (PROTOCOL_ERROR)");
		break;
	case T_HEADERS:
	case T_DATA:
		if (h->stream == 0)
			return fail(h, "HTTP/2: DATA or HEADERS on stream 0 (PROTOCOL_ERROR)");
		if (h->flags & F_PADDED)
			h->skip = 1; /* the pad length, read first */
		if (h->type == T_HEADERS) {
			if (h->flags & F_PRIORITY)
				h->skip += 5;
			h->phase = H2_IN_BLOCK;
			h->block_stream = h->stream;
			h->block_end_stream = h->flags & F_END_STREAM;
			h->fields = h->informational = 0;
		}
		if (h->skip > h->length)
			return fail(h, "HTTP/2: frame too short for its padding (PROTOCOL_ERROR)");
		break;
	}
	return H2_MORE;
}

/* The whole frame was read. */
static int
frame_end(struct h2 *h)
{
	switch (h->type) {
	case T_SETTINGS:
	case T_PING:
		/* x/net's Transport wants one acknowledgement, of its one SETTINGS; another is a
		 * PROTOCOL_ERROR (grpc-go ignores it). */
		if (h->type == T_SETTINGS && (h->flags & F_ACK) && ++h->settings_acks > 1 &&
		    h->handler.checks_settings)
			return fail(h, "HTTP/2: a SETTINGS acknowledgement not asked for "
				       "(PROTOCOL_ERROR)");
		if (h->flags & F_ACK)
			break;
		/* A peer that sends SETTINGS or PING faster than it reads the acknowledgements
		 * would grow them without bound: nghttp2 and Go's server end the connection
		 * past a limit, and so do we (nghttp2's default, about 17 KB of frames). */
		if (++h->acks > H2_ACKS_MAX)
			return fail(h, "HTTP/2: too many control frames (ENHANCE_YOUR_CALM)");
		if (h->type == T_SETTINGS)
			put_frame(&h->out, T_SETTINGS, F_ACK, 0, NULL, 0);
		else
			put_frame(&h->out, T_PING, F_ACK, 0, h->small, 8);
		break;
	case T_RST_STREAM:
		if (h->stream == 1) {
			h->unprocessed = !h->blocks && be32(h->small) == 7 ? H2_REFUSED : 0;
			fmt_format(h->why, sizeof h->why,
				   "HTTP/2: the server reset the stream (%s)",
				   error_name(be32(h->small)));
			return fail(h, h->why);
		}
		break;
	case T_GOAWAY:
		/* Stream 1 was not processed: it never will be. (x/net asks again only after
		 * GOAWAYs without an error code, as its setGoAway keeps the first error's.) */
		h->goaway_error |= be32(h->small + 4) != 0;
		if ((be32(h->small) & 0x7fffffff) < 1) {
			h->unprocessed = h->blocks         ? 0
					 : h->goaway_error ? H2_GOAWAY_ERROR
							   : H2_GOAWAY;
			fmt_format(h->why, sizeof h->why,
				   "HTTP/2: the server went away (GOAWAY %s)",
				   error_name(be32(h->small + 4)));
			return fail(h, h->why);
		}
		break;
	case T_HEADERS:
	case T_CONTINUATION:
		if (!(h->flags & F_END_HEADERS))
			break;
		h->phase = H2_OPEN;
		if (h->block_stream == 1 && h->informational) {
			if (h->block_end_stream)
				return fail(
				    h, "HTTP/2: a 1xx head that ends the stream (PROTOCOL_ERROR)");
		} else if (h->block_stream == 1) {
			const char *why =
			    h->handler.block_end
				? h->handler.block_end(h->handler.arg, h->block_end_stream)
				: NULL;
			if (why == H2_INFORMATIONAL)
				break; /* a 1xx head, the kind says: the final one follows */
			if (why)
				return fail(h, why);
			h->blocks++;
			if (h->block_end_stream)
				h->phase = H2_ENDED;
		}
		break;
	case T_PRIORITY_UPDATE:
		if ((be32(h->small) & 0x7fffffff) == 0)
			return fail(h, "HTTP/2: PRIORITY_UPDATE of stream 0 (PROTOCOL_ERROR)");
		break;
	case T_WINDOW_UPDATE:
		/* RFC 9113 section 6.9: an increment of 0 is a PROTOCOL_ERROR, of the connection
		 * on stream 0 and of the stream on ours; grpc-go's framer fails either. */
		if ((h->stream == 0 || h->stream == 1) && (be32(h->small) & 0x7fffffff) == 0)
			return fail(h, "HTTP/2: WINDOW_UPDATE of 0 (PROTOCOL_ERROR)");
		break;
	case T_DATA:
		if (h->stream == 1 && (h->flags & F_END_STREAM))
			h->phase = H2_ENDED;
		break;
	}
	if (h->out.failed)
		return fail(h, "out of memory");
	return h->phase == H2_ENDED ? H2_END : H2_MORE;
}

/* n payload bytes at p (the frame's content, after any skip, before any padding). */
static int
content(struct h2 *h, const char *p, size_t n, int last)
{
	switch (h->type) {
	case T_HEADERS:
	case T_CONTINUATION:
		h->block_final = last && (h->flags & F_END_HEADERS);
		return inflate(h, p, n, h->block_final);
	case T_DATA:
		if (h->stream == 1 && h->handler.data && h->handler.data(h->handler.arg, p, n) < 0)
			return fail(h, "HTTP/2: more DATA than a health answer holds");
		return H2_MORE;
	case T_PING:
	case T_GOAWAY:
	case T_RST_STREAM:
	case T_WINDOW_UPDATE:
	case T_PRIORITY_UPDATE:
		/* The first 8 bytes are all these need (GOAWAY's debug data is ignored). */
		for (size_t i = 0; i < n && h->done - n + i < 8; i++)
			h->small[h->done - n + i] = (unsigned char)p[i];
		return H2_MORE;
	case T_SETTINGS: /* each 6-byte setting, as it completes */
		for (size_t i = 0; i < n; i++) {
			size_t at = (h->done - n + i) % 6;
			h->small[at] = (unsigned char)p[i];
			if (at < 5)
				continue;
			unsigned id = h->small[1] | (h->small[0] ? 0x100 : 0);
			uint32_t v = be32(h->small + 2);
			int bad = id == 2 || id == 8 ? v > 1
				  : id == 4          ? v >> 31
				  : id == 5          ? v - 16384 > 0xffffff - 16384
						     : 0;
			/* Go's framer, under both clients, refuses a frame's first
			 * INITIAL_WINDOW_SIZE over 2^31-1 (FLOW_CONTROL_ERROR). */
			if (bad && (h->handler.checks_settings || (id == 4 && !h->window_seen)))
				return fail(h, "HTTP/2: a SETTINGS value out of range");
			h->window_seen |= id == 4;
		}
		return H2_MORE;
	}
	return H2_MORE; /* PRIORITY, unknown: ignored */
}

int
h2_feed(struct h2 *h, const char *p, size_t n)
{
	if (h->error)
		return H2_ERROR;
	while (n > 0) {
		if (h->head_len < 9) {
			size_t take = 9 - h->head_len < n ? 9 - h->head_len : n;
			memcpy(h->head + h->head_len, p, take);
			h->head_len += take;
			p += take;
			n -= take;
			if (h->head_len == 9 && frame_begin(h) == H2_ERROR)
				return H2_ERROR;
			if (h->head_len < 9 || h->length > 0)
				continue;
		} else {
			size_t take = h->length - h->done < n ? h->length - h->done : n;
			size_t start = h->done;
			h->done += take;
			/* The pad length comes first (when PADDED), then priority fields. */
			size_t c0 = start, c1 = h->done;
			if ((h->flags & F_PADDED) && (h->type == T_DATA || h->type == T_HEADERS) &&
			    start == 0 && take > 0) {
				h->pad = (unsigned char)p[0];
				if (h->pad + h->skip > h->length)
					return fail(h, "HTTP/2: padding longer than its frame");
			}
			size_t content_end = h->length - h->pad;
			if (c0 < h->skip)
				c0 = h->skip;
			if (c1 > content_end)
				c1 = content_end;
			if (c0 < c1 && content(h, p + (c0 - start), c1 - c0,
					       h->done >= content_end) == H2_ERROR)
				return H2_ERROR;
			p += take;
			n -= take;
			if (h->done < h->length)
				continue;
		}
		/* A fragment with no bytes (or only padding) still ends its header block. */
		if ((h->type == T_HEADERS || h->type == T_CONTINUATION) &&
		    (h->flags & F_END_HEADERS) && !h->block_final &&
		    inflate(h, "", 0, 1) == H2_ERROR)
			return H2_ERROR;
		h->head_len = 0;
		int ev = frame_end(h);
		if (ev != H2_MORE)
			return ev;
	}
	return H2_MORE;
}
