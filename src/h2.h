/* A minimal HTTP/2 client (RFC 9113) for one request on stream 1, with prior knowledge
 * (h2c) or after ALPN "h2": the framing is ours, and so is HPACK (hpack.c). Why not
 * nghttp2, once used for HPACK: its session API brings stream scheduling, flow-control
 * windows, priorities and callbacks for all of them (about 40 KB more binary), and buffers
 * whole frames where this reader streams each payload with a bound; its HPACK decoder
 * alone was 30 KB (a 16 KiB Huffman state table) and refused fields over 64 KiB. It
 * answers SETTINGS and PING, honours GOAWAY and RST_STREAM, bounds every frame, and hands
 * the response's header fields, data and end to its user. */
#ifndef PODHEALTH_H2_H
#define PODHEALTH_H2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;

#define H2_FRAME_MAX 16384 /* SETTINGS_MAX_FRAME_SIZE we accept: the default */
#define H2_ACKS_MAX  1000  /* acknowledgements queued unsent before the peer is a flood */

enum h2_event { H2_ERROR = -1, H2_MORE = 0, H2_END = 1 };

struct h2_field {
	const char *name, *value;
	size_t name_len, value_len;
};

/* A field whose name and value are string literals, lengths from the compiler (nghttp2's
 * MAKE_NV2); H2_FIELD_VAR takes a value known only at run time. */
#define H2_FIELD(name, value)                                                                      \
	{                                                                                          \
		name, value, sizeof name - 1, sizeof value - 1                                     \
	}
#define H2_FIELD_VAR(name, value)                                                                  \
	{                                                                                          \
		name, value, sizeof name - 1, strlen(value)                                        \
	}

/* What the response carries, delivered as it is parsed. */
struct h2_handler {
	/* A header field of stream 1; trailers: it came after the first header block. */
	void (*field)(void *arg, const struct h2_field *f, int trailers);
	/* DATA payload of stream 1. Returns 0, or -1 to fail (too much). */
	int (*data)(void *arg, const char *p, size_t n);
	/* A header block of stream 1 is complete; end_stream: it ends the stream. Returns
	 * NULL, or why the response is refused (kept by the caller until h2_free). May be
	 * NULL. */
	const char *(*block_end)(void *arg, int end_stream);
	void *arg;
	/* The kind tells a 1xx head from the final one itself (gRPC: grpc-go takes a head
	 * with a gRPC content-type as final whatever its :status): h2 hands it every head, and
	 * block_end returns H2_INFORMATIONAL for one to skip. Otherwise h2 skips 1xx heads. */
	int reads_1xx;
	/* x/net's Transport's rules (kubelet's HTTP client), which grpc-go's client lacks:
	 * SETTINGS values out of RFC 9113's ranges (ENABLE_PUSH or ENABLE_CONNECT_PROTOCOL
	 * other than 0 and 1, MAX_FRAME_SIZE outside 2^14..2^24-1, any INITIAL_WINDOW_SIZE
	 * over 2^31-1: Setting.Valid since v0.53) and a second SETTINGS acknowledgement fail
	 * the connection. (A frame's first INITIAL_WINDOW_SIZE over 2^31-1 fails under both:
	 * Go's framer refuses it.) */
	int checks_settings;
};

/* block_end's answer for a 1xx head skipped (reads_1xx): not counted as the head. */
extern const char h2_informational[];
#define H2_INFORMATIONAL h2_informational

struct h2;

/* Encodes a request's header fields (pseudo-headers first) as an HPACK block of literals
 * (no table, no Huffman code), so it can be sent on any connection; names are written in
 * lower case (RFC 9113 section 8.2.1). Returns 0, or -1 (out of memory). */
int h2_encode_headers(const struct h2_field *fields, size_t n, struct buf *out);

/* The field of a "Name: value" header line (the value without the blanks before it);
 * pointers into line. */
struct h2_field h2_header(const char *line);

/* Returns a connection that has queued the client preface, its SETTINGS, a HEADERS frame
 * with block and, when body is not NULL, one DATA frame ending the stream. NULL when out of
 * memory. */
struct h2 *h2_new(const struct h2_handler *handler, const void *block, size_t block_len,
		  const void *body, size_t body_len);
void h2_free(struct h2 *h);

/* Bytes to send next (*len of them), or NULL when there are none. */
const char *h2_output(struct h2 *h, size_t *len);

/* n bytes of h2_output were sent. */
void h2_sent(struct h2 *h, size_t n);

/* Feeds bytes from the server. Returns H2_END once stream 1 has ended, H2_ERROR with
 * h2_error() saying why, or H2_MORE. */
int h2_feed(struct h2 *h, const char *p, size_t n);

/* Why the connection failed; static or in h. */
const char *h2_error(const struct h2 *h);

/* After H2_ERROR: how the server refused stream 1 before its head, unprocessed, which Go's
 * clients ask again: 0 (it did not), H2_REFUSED (RST_STREAM with REFUSED_STREAM),
 * H2_GOAWAY (a GOAWAY below it, none with an error code) or H2_GOAWAY_ERROR (a GOAWAY below
 * it, after one with an error code: x/net does not ask again, grpc-go does). */
enum { H2_REFUSED = 1, H2_GOAWAY, H2_GOAWAY_ERROR };
int h2_unprocessed(const struct h2 *h);

/* Returns 1 when the server's first frame (its SETTINGS) has arrived. */
int h2_established(const struct h2 *h);

#endif
