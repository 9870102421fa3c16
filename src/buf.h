/* A growable byte buffer for building responses. */
#ifndef PODHEALTH_BUF_H
#define PODHEALTH_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data; /* owned; NUL-terminated when len > 0 */
	size_t len, cap;
	int failed; /* an allocation failed; the contents are incomplete */
};

/* Appends len bytes; on allocation failure sets b->failed and drops the bytes. */
void buf_append(struct buf *b, const void *data, size_t len);

/* Appends formatted text, as snprintf would write it. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees the storage and empties the buffer. */
void buf_free(struct buf *b);

/* Appends s (n bytes) as a JSON string with its quotes: control characters, quotes and
 * backslashes escaped, and bytes that are not valid UTF-8 replaced by U+FFFD, so that the
 * output is valid JSON whatever the input. */
void buf_json_string(struct buf *b, const char *s, size_t n);

/* Appends s as a Prometheus label value (text format 0.0.4): \, " and newline escaped. */
void buf_prom_label(struct buf *b, const char *s);

/* Appends n bytes as base64 (RFC 4648, padded). */
void buf_base64(struct buf *b, const void *data, size_t n);

/* Decodes standard base64, padded or not (grpc-go's decodeBinHeader), into out (cap
 * bytes). Returns the length, or -1. */
long buf_base64_decode(const char *v, size_t n, unsigned char *out, size_t cap);

/* Appends the contents of the file at path (startup I/O). Returns 0; or -1 with errno set,
 * EFBIG when the file holds more than max bytes, ENOMEM when an allocation failed. */
int buf_read_file(struct buf *b, const char *path, size_t max);

/* Appends a CLOCK_REALTIME time in milliseconds as RFC 3339 UTC with milliseconds. */
void buf_rfc3339(struct buf *b, int64_t wall_ms);
#endif
