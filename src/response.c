/* Go's net/http response rules (net/textproto, transfer.go, chunked.go), re-derived for a
 * byte stream. Each rule cites what it mirrors; the differential tests hold it to Go. */
#include "response.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	S_STATUS,     /* the status line */
	S_LINE_START, /* the first byte of a header line decides: continuation, end, name */
	S_NAME,
	S_VALUE,
	S_CONT_SKIP, /* the blanks that start a continuation line */
	S_HEAD_DONE, /* waiting for response_body */
	S_BODY_LENGTH,
	S_BODY_EOF,
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_END,     /* the CR LF after a chunk's data */
	S_TRAILER_START, /* the two bytes after the last chunk */
	S_DONE,
	S_ERROR,
};

enum { H_NONE, H_LENGTH, H_TE, H_LOCATION };
enum { B_NONE, B_LENGTH, B_EOF, B_CHUNKED };

#define BAD_TRAILER "malformed chunked body: malformed trailer"
#define BAD_LINE    "invalid HTTP response: malformed header line"

static int
fail(struct response *r, const char *why)
{
	r->state = S_ERROR;
	r->error = why;
	return RESPONSE_ERROR;
}

/* A malformed line of the head (why), or of a trailer. */
static int
line_fail(struct response *r, const char *why)
{
	return fail(r, r->trailer ? BAD_TRAILER : why);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 token characters: Go canonicalises (so compares case-insensitively) only
 * names made of these. */
static int
token_char(unsigned char c)
{
	return isalnum(c) || (c && c < 0x80 && strchr("!#$%&'*+-.^_`|~", c));
}

void
response_init(struct response *r, int head_request)
{
	char *kept = r->kept;
	size_t kept_cap = r->kept_cap;
	free(r->location);
	memset(r, 0, sizeof *r);
	r->kept = kept;
	r->kept_cap = kept_cap;
	r->head_request = head_request;
	r->length = -1;
}

int
response_keep(struct response *r, size_t cap)
{
	if (r->kept_cap >= cap)
		return 0;
	char *p = realloc(r->kept, cap);
	if (!p)
		return -1;
	r->kept = p;
	r->kept_cap = cap;
	return 0;
}

void
response_free(struct response *r)
{
	free(r->location);
	free(r->kept);
	r->location = r->kept = NULL;
	r->kept_cap = 0;
}

int
response_headed(const struct response *r)
{
	return r->headed;
}

/* --- header values: only those of interest are kept, trimmed as textproto trims --- */

/* The buffer of the value being kept, with its room. */
static char *
value_buf(struct response *r, size_t **len, size_t *cap)
{
	switch (r->interesting) {
	case H_LENGTH:
		*len = &r->cl_len, *cap = sizeof r->cl;
		return r->cl;
	case H_TE:
		*len = &r->te_len, *cap = sizeof r->te;
		return r->te;
	case H_LOCATION:
		if (r->location_len == r->location_cap && r->location_cap < RESPONSE_LOCATION_MAX) {
			size_t ncap = r->location_cap ? r->location_cap * 2 : 128;
			if (ncap > RESPONSE_LOCATION_MAX)
				ncap = RESPONSE_LOCATION_MAX;
			char *p = realloc(r->location, ncap + 1);
			if (p) {
				r->location = p;
				r->location_cap = ncap;
			}
		}
		*len = &r->location_len, *cap = r->location_cap;
		return r->location;
	}
	return NULL;
}

/* Keeps c. Blanks past the room are only counted: they may turn out to be trailing
 * (trimmed); anything past the room makes the value too long. */
static void
value_byte(struct response *r, char c)
{
	size_t *len, cap;
	char *buf = value_buf(r, &len, &cap);
	if (!buf || r->value_over)
		return;
	if (*len < cap && !(r->pending_ws && !blank(c))) {
		buf[(*len)++] = c;
		return;
	}
	if (blank(c))
		r->pending_ws++;
	else
		r->value_over = 1;
}

/* textproto trims blanks at the end of every physical line. */
static void
value_line_end(struct response *r)
{
	size_t *len, cap;
	char *buf = value_buf(r, &len, &cap);
	r->pending_ws = 0;
	if (!buf || r->value_over)
		return;
	while (*len > 0 && blank(buf[*len - 1]))
		(*len)--;
}

/* textproto.TrimString: ASCII spaces at both ends. */
static void
trim(const char *s, size_t n, const char **out, size_t *olen)
{
	while (n > 0 && (blank(*s) || *s == '\r' || *s == '\n'))
		s++, n--;
	while (n > 0 && (blank(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	*out = s;
	*olen = n;
}

/* A logical header line is complete. */
static void
header_done(struct response *r)
{
	const char *v;
	size_t n;
	switch (r->interesting) {
	case H_LENGTH:
		/* transfer.go fixLength: repeated values must agree, compared trimmed. A value
		 * too long to keep is never valid (a length has at most 19 digits). */
		trim(r->cl, r->value_over ? 0 : r->cl_len, &v, &n);
		if (r->value_over)
			n = sizeof r->cl_first + 1;
		if (!r->have_cl) {
			if (n <= sizeof r->cl_first)
				memcpy(r->cl_first, v, n);
			r->cl_first_len = n;
			r->have_cl = 1;
		} else if (n != r->cl_first_len || n > sizeof r->cl_first ||
			   memcmp(v, r->cl_first, n) != 0) {
			r->cl_conflict = 1;
		}
		break;
	case H_TE:
		if (r->value_over)
			r->te_len = sizeof r->te + 1; /* never "chunked" */
		r->te_count++;
		break;
	case H_LOCATION:
		r->location_long = r->value_over;
		if (r->location)
			r->location[r->location_len] = '\0';
		break;
	}
	r->interesting = H_NONE;
	r->in_value = 0;
}

/* Picks the headers the verdict needs: Content-Length, Transfer-Encoding and the first
 * Location. Go's Header.Get finds only canonical names, so only token names match. */
static void
name_done(struct response *r)
{
	r->interesting = H_NONE;
	r->value_over = 0;
	r->pending_ws = 0;
	if (r->trailer || !r->name_token || r->name_len >= sizeof r->name)
		return;
	if (r->name_len == 14 && strncasecmp(r->name, "content-length", 14) == 0) {
		r->interesting = H_LENGTH;
		r->cl_len = 0;
	} else if (r->name_len == 17 && strncasecmp(r->name, "transfer-encoding", 17) == 0) {
		if (r->te_count == 0) {
			r->interesting = H_TE;
			r->te_len = 0;
		} else if (r->te_count < 3) {
			r->te_count++; /* only counted: a second one is an error anyway */
		}
	} else if (r->name_len == 8 && strncasecmp(r->name, "location", 8) == 0 && !r->location) {
		r->location = malloc(128 + 1);
		r->location_cap = r->location ? 128 : 0;
		r->location_len = 0;
		r->interesting = H_LOCATION;
		r->value_over = !r->location;
	}
}

/* --- the status line (net/http ReadResponse) --- */

static int
status_byte(struct response *r, char c)
{
	switch (r->sub) {
	case 0: /* the protocol, up to the first space */
		if (c == ' ')
			r->sub = 1;
		else if (r->proto_len < sizeof r->proto)
			r->proto[r->proto_len++] = c;
		else
			r->proto_len = sizeof r->proto + 1;
		break;
	case 1: /* resp.Status = strings.TrimLeft(status, " ") */
		if (c == ' ')
			break;
		r->sub = 2;
		/* fall through */
	case 2:
		if (c == ' ')
			r->sub = 3;
		else if (r->code_len < 4)
			r->code[r->code_len++] = c;
		break;
	}
	return RESPONSE_MORE;
}

/* net/http ParseHTTPVersion: "HTTP/1.1", "HTTP/1.0", or "HTTP/" digit '.' digit. */
static int
parse_version(struct response *r)
{
	const char *p = r->proto;
	if (r->proto_len != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' ||
	    !isdigit((unsigned char)p[5]) || !isdigit((unsigned char)p[7]))
		return -1;
	r->major = p[5] - '0';
	r->minor = p[7] - '0';
	return 0;
}

static int
status_done(struct response *r)
{
	if (r->sub == 0)
		return fail(r, "invalid HTTP response: malformed status line");
	/* A three-character code that strconv.Atoi accepts and that is not negative. */
	const char *c = r->code;
	int sign = c[0] == '+' || c[0] == '-';
	int v = 0;
	if (r->code_len != 3)
		return fail(r, "invalid HTTP response: malformed status code");
	for (size_t i = (size_t)sign; i < 3; i++) {
		if (!isdigit((unsigned char)c[i]))
			return fail(r, "invalid HTTP response: malformed status code");
		v = v * 10 + (c[i] - '0');
	}
	if (c[0] == '-' && v > 0)
		return fail(r, "invalid HTTP response: malformed status code");
	if (parse_version(r) < 0)
		return fail(r, "invalid HTTP response: malformed HTTP version");
	r->status = v;
	r->state = S_LINE_START;
	r->first_header = 1;
	return RESPONSE_MORE;
}

/* --- after the head: transfer.go readTransfer --- */

static int
body_allowed(int status)
{
	return !(status >= 100 && status <= 199) && status != 204 && status != 304;
}

int
response_parse_length(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		if (v > (UINT64_C(1) << 63) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v >= UINT64_C(1) << 63)
			return -1;
	}
	*out = (int64_t)v;
	return 0;
}

static int head_done_trailer(struct response *r);

static int
head_done(struct response *r)
{
	if (r->trailer)
		return head_done_trailer(r);
	int status = r->status;
	if (r->major == 0 && r->minor == 0)
		r->major = r->minor = 1; /* Go reads "HTTP/0.0" as 1.1 */
	int chunked = 0;
	/* Transfer-Encoding counts from HTTP/1.1 on: one header, exactly "chunked". */
	if (r->te_count && (r->major > 1 || (r->major == 1 && r->minor >= 1))) {
		const char *v;
		size_t n;
		if (r->te_count > 1)
			return fail(r, "invalid HTTP response: more than one Transfer-Encoding");
		trim(r->te, r->te_len > sizeof r->te ? 0 : r->te_len, &v, &n);
		if (n != 7 || strncasecmp(v, "chunked", 7) != 0)
			return fail(r, "invalid HTTP response: unsupported Transfer-Encoding");
		chunked = 1;
	}
	if (r->cl_conflict)
		return fail(r, "invalid HTTP response: conflicting Content-Length headers");
	/* Go 1.22 and later (transfer.go fixLength, parseContentLength) check the length
	 * before anything decides whether it counts: a bad or empty one fails a HEAD answer,
	 * a 204 and a chunked body alike. */
	int64_t length = -1;
	if (r->have_cl && response_parse_length(r->cl_first, r->cl_first_len, &length) < 0)
		return fail(r, "invalid HTTP response: bad Content-Length");
	/* Go's readTransfer checks the framing headers of every answer, 1xx included. */
	if (status >= 100 && status <= 199 && status != 101) {
		/* An interim response: the final one follows, however many come first, their
		 * heads and its own within the one 10 MiB (Go 1.24's transport: readLimit is
		 * not reset between them; Go 1.19 stopped at the sixth). */
		size_t head_bytes = r->head_bytes;
		response_init(r, r->head_request);
		r->head_bytes = head_bytes;
		r->any = 1;
		return RESPONSE_MORE;
	}
	if (r->head_request) {
		r->length = length;
		r->mode = B_NONE;
	} else if (!body_allowed(status)) {
		r->length = 0;
		r->mode = B_NONE;
	} else if (chunked) {
		r->length = -1;
		r->mode = B_CHUNKED;
	} else if (r->have_cl) {
		r->length = length;
		r->mode = length ? B_LENGTH : B_NONE;
	} else {
		r->length = -1;
		r->mode = B_EOF;
	}
	r->state = S_HEAD_DONE;
	r->headed = 1;
	return RESPONSE_HEAD;
}

int
response_body(struct response *r, size_t limit)
{
	r->limit = limit;
	r->body_read = 0;
	r->kept_len = 0;
	if (r->mode == B_NONE || limit == 0) {
		r->state = S_DONE;
		return RESPONSE_DONE;
	}
	r->remaining = r->length;
	r->state = r->mode == B_LENGTH ? S_BODY_LENGTH
		   : r->mode == B_EOF  ? S_BODY_EOF
				       : S_CHUNK_SIZE;
	r->sub = 0;
	r->chunk_line = r->hex_len = r->pending_ws = 0;
	r->chunk_ext = 0;
	return RESPONSE_MORE;
}

/* Body bytes read; returns RESPONSE_DONE once the limit is reached. */
static int
deliver(struct response *r, const char *p, size_t n)
{
	if (r->kept_len < r->kept_cap) {
		size_t room = r->kept_cap - r->kept_len;
		memcpy(r->kept + r->kept_len, p, n < room ? n : room);
		r->kept_len += n < room ? n : room;
	}
	r->body_read += n;
	if (r->body_read >= r->limit) {
		r->state = S_DONE;
		return RESPONSE_DONE;
	}
	return RESPONSE_MORE;
}

/* --- chunked bodies (net/http/internal chunked.go and body.readTrailer) --- */

/* chunked.go readChunkLine: the line without trailing blanks, cut at ';' (an
 * extension), must be at most 16 hex digits; an empty one is 0, the last chunk. */
static int
chunk_size_done(struct response *r)
{
	if (r->chunk_ext == 2)
		return fail(r, "malformed chunked body: invalid byte in chunk length");
	if (r->hex_len > 16)
		return fail(r, "malformed chunked body: chunk length too large");
	uint64_t v = 0;
	for (size_t i = 0; i < r->hex_len; i++) {
		char c = r->hex[i];
		if (!isxdigit((unsigned char)c))
			return fail(r, "malformed chunked body: invalid byte in chunk length");
		v = v << 4 |
		    (uint64_t)(isdigit((unsigned char)c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	r->chunk_line = r->hex_len = r->pending_ws = 0;
	r->chunk_ext = r->chunk_cr = 0;
	if (v == 0) {
		r->state = S_TRAILER_START;
		r->sub = 0;
		return RESPONSE_MORE;
	}
	r->remaining = (int64_t)v;
	r->state = S_CHUNK_DATA;
	return RESPONSE_MORE;
}

/* chunk_ext: 0 in the number, 1 in an extension (ignored), 2 the number had a blank
 * inside or before the ';' (invalid: only trailing blanks are trimmed). */
static int
chunk_size_byte(struct response *r, char c)
{
	if (++r->chunk_line >= RESPONSE_CHUNK_LINE)
		return fail(r, "malformed chunked body: chunk line too long");
	/* The line ends in CR LF, with no CR before (Go 1.24's readChunkLine, RFC 9112
	 * erratum 7633); a bare LF was a line end in Go 1.19. */
	if (c == '\n')
		return r->chunk_cr
			   ? chunk_size_done(r)
			   : fail(r, "malformed chunked body: chunked line ends with bare LF");
	if (r->chunk_cr)
		return fail(r, "malformed chunked body: invalid CR in chunked line");
	if ((r->chunk_cr = c == '\r'))
		return RESPONSE_MORE;
	if (r->chunk_ext)
		return RESPONSE_MORE;
	if (blank(c)) {
		r->pending_ws++;
		return RESPONSE_MORE;
	}
	if (r->pending_ws) {
		r->chunk_ext = 2;
		return RESPONSE_MORE;
	}
	if (c == ';') {
		r->chunk_ext = 1;
		return RESPONSE_MORE;
	}
	if (r->hex_len < sizeof r->hex)
		r->hex[r->hex_len++] = c;
	else
		r->hex_len = sizeof r->hex;
	return RESPONSE_MORE;
}

/* Trailer lines go through the header states (r->trailer); an empty line ends them. */
static int
head_done_trailer(struct response *r)
{
	if (!r->trailer_ok)
		return fail(r, BAD_TRAILER);
	r->state = S_DONE;
	return RESPONSE_DONE;
}

/* Go reads a trailer only when CR LF CR LF comes within its 4 KiB buffer. */
static int
trailer_scan(struct response *r, char c)
{
	r->last4 = r->last4 << 8 | (unsigned char)c;
	if (++r->trailer_bytes <= RESPONSE_CHUNK_LINE && r->last4 == 0x0d0a0d0a)
		r->trailer_ok = 1;
	if (!r->trailer_ok && r->trailer_bytes > RESPONSE_CHUNK_LINE)
		return fail(r, "malformed chunked body: trailer too long");
	return RESPONSE_MORE;
}

/* --- the byte loop --- */

static int head_byte(struct response *r, char c);

/* A line of the head (or trailer) ended. */
static int
head_eol(struct response *r)
{
	switch (r->state) {
	case S_STATUS:
		return status_done(r);
	case S_LINE_START: /* an empty line ends the head */
		if (r->in_value)
			header_done(r);
		return head_done(r);
	case S_NAME:
		return line_fail(r, "invalid HTTP response: header line without a colon");
	case S_VALUE:
	case S_CONT_SKIP:
		value_line_end(r);
		r->state = S_LINE_START;
		return RESPONSE_MORE;
	}
	return RESPONSE_MORE;
}

static int
head_byte(struct response *r, char c)
{
	switch (r->state) {
	case S_STATUS:
		return status_byte(r, c);
	case S_LINE_START:
		if (blank(c)) {
			if (r->first_header)
				return line_fail(
				    r, "invalid HTTP response: header block starts with a blank");
			r->state = S_CONT_SKIP;
			return RESPONSE_MORE;
		}
		if (r->in_value)
			header_done(r);
		r->first_header = 0;
		r->state = S_NAME;
		r->name_len = 0;
		r->name_token = 1;
		/* fall through */
	case S_NAME:
		/* Go's textproto (1.20 and later): a name of token characters, spaces
		 * allowed, never empty */
		if (c == ':' ? !r->name_len : c != ' ' && !token_char((unsigned char)c))
			return line_fail(r, BAD_LINE);
		if (c == ':') {
			name_done(r);
			r->state = S_VALUE;
			r->in_value = 1;
			r->value_started = 0;
			r->pending_ws = 0;
			return RESPONSE_MORE;
		}
		r->name_token &= c != ' ';
		if (r->name_len < sizeof r->name)
			r->name[r->name_len] = c;
		r->name_len++;
		return RESPONSE_MORE;
	case S_CONT_SKIP:
		if (blank(c))
			return RESPONSE_MORE;
		/* Continuation lines join the value with one space. */
		r->state = S_VALUE;
		if (r->value_started)
			value_byte(r, ' ');
		r->pending_ws = 0;
		/* fall through */
	case S_VALUE:
		/* Go's textproto (validHeaderValueByte): no control byte but HTAB, no DEL */
		if (((unsigned char)c < 0x20 && c != '\t') || c == 0x7f)
			return line_fail(r, BAD_LINE);
		if (!r->value_started && blank(c))
			return RESPONSE_MORE; /* the value starts after the blanks */
		r->value_started = 1;
		value_byte(r, c);
		return RESPONSE_MORE;
	}
	return RESPONSE_MORE;
}

static int
in_head(const struct response *r)
{
	return r->state <= S_CONT_SKIP;
}

/* Lines end at LF; one CR just before it belongs to the end (bufio.Reader.ReadLine). */
static int
head_char(struct response *r, char c)
{
	if (r->cr) {
		r->cr = 0;
		if (c == '\n')
			return head_eol(r);
		int ev = head_byte(r, '\r');
		if (ev != RESPONSE_MORE)
			return ev;
	}
	if (c == '\r') {
		r->cr = 1;
		return RESPONSE_MORE;
	}
	return c == '\n' ? head_eol(r) : head_byte(r, c);
}

int
response_feed(struct response *r, const char *p, size_t n, size_t *used)
{
	size_t i = 0;
	int ev = RESPONSE_MORE;
	if (n)
		r->any = 1;
	while (i < n && ev == RESPONSE_MORE) {
		if (in_head(r)) {
			char c = p[i++];
			if (r->trailer)
				ev = trailer_scan(r, c);
			else if (++r->head_bytes > RESPONSE_HEAD_MAX)
				ev = fail(r, "invalid HTTP response: head larger than 10 MiB");
			if (ev == RESPONSE_MORE)
				ev = head_char(r, c);
			continue;
		}
		size_t left = n - i, take;
		switch (r->state) {
		case S_BODY_LENGTH:
		case S_CHUNK_DATA:
			take = left < (uint64_t)r->remaining ? left : (size_t)r->remaining;
			if (take > r->limit - r->body_read)
				take = r->limit - r->body_read;
			r->remaining -= (int64_t)take;
			ev = deliver(r, p + i, take);
			i += take;
			if (ev == RESPONSE_MORE && r->remaining == 0) {
				if (r->state == S_BODY_LENGTH)
					r->state = S_DONE, ev = RESPONSE_DONE;
				else
					r->state = S_CHUNK_END, r->sub = 0;
			}
			break;
		case S_BODY_EOF:
			take = left < r->limit - r->body_read ? left : r->limit - r->body_read;
			ev = deliver(r, p + i, take);
			i += take;
			break;
		case S_CHUNK_SIZE:
			ev = chunk_size_byte(r, p[i++]);
			break;
		case S_CHUNK_END:
			if (p[i++] != "\r\n"[r->sub])
				ev = fail(r, "malformed chunked body: no CR LF after chunk data");
			else if (++r->sub == 2)
				r->state = S_CHUNK_SIZE;
			break;
		case S_TRAILER_START:
			/* CR LF at once: no trailer. Anything else is a trailer header. */
			r->hex[r->sub] = p[i++];
			if (trailer_scan(r, r->hex[r->sub]) == RESPONSE_ERROR) {
				ev = RESPONSE_ERROR;
				break;
			}
			if (++r->sub < 2)
				break;
			if (r->hex[0] == '\r' && r->hex[1] == '\n') {
				r->state = S_DONE;
				ev = RESPONSE_DONE;
				break;
			}
			/* Replay the two bytes through the header states, in trailer mode. */
			r->state = S_LINE_START;
			r->trailer = 1;
			r->first_header = 1;
			r->in_value = 0;
			for (int k = 0; k < 2 && ev == RESPONSE_MORE; k++)
				ev = head_char(r, r->hex[k]);
			break;
		case S_DONE:
			ev = RESPONSE_DONE;
			break;
		case S_ERROR:
			ev = RESPONSE_ERROR;
			break;
		default: /* S_HEAD_DONE: the caller must call response_body first */
			*used = i;
			return RESPONSE_HEAD;
		}
	}
	*used = i;
	return ev;
}

int
response_eof(struct response *r)
{
	switch (r->state) {
	case S_DONE:
	case S_BODY_EOF:
		r->state = S_DONE;
		return RESPONSE_DONE;
	case S_ERROR:
		return RESPONSE_ERROR;
	case S_BODY_LENGTH:
		return fail(r, "body shorter than its Content-Length");
	case S_HEAD_DONE:
		return RESPONSE_HEAD;
	default:
		if (in_head(r) && !r->trailer)
			return fail(r, r->any ? "invalid HTTP response (truncated)"
					      : "connection closed without a response");
		return fail(r, "malformed chunked body: unexpected end");
	}
}
