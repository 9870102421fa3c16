/* A growable byte buffer for building responses. */
#ifndef PODHEALTH_BUF_H
#define PODHEALTH_BUF_H

#include <stddef.h>

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

#endif
