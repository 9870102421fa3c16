/* HPACK (RFC 7541) decoding for the HTTP/2 layer (h2.c): a header block streamed in as
 * it arrives, over any number of frames, each field handed on as it completes; memory
 * bounded whatever the peer sends (the dynamic table's 4,096 bytes, and at most
 * HPACK_KEEP bytes of a field's value: a longer value is read to its end and cut). Errors
 * are COMPRESSION_ERROR (RFC 9113 4.3): the connection cannot go on. */
#ifndef PODHEALTH_HPACK_H
#define PODHEALTH_HPACK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The table size podhealth allows (SETTINGS_HEADER_TABLE_SIZE, never changed from its
 * default), and how much of one field's name or value is kept. */
#define HPACK_TABLE_MAX 4096
#define HPACK_KEEP      16384

/* Called for each field, name and value as decoded (the value cut at HPACK_KEEP). */
typedef void hpack_field_fn(void *arg, const char *name, size_t name_len, const char *value,
			    size_t value_len);

struct hpack {
	/* the dynamic table, oldest entry first: each a 2-byte name length, a 2-byte value
	 * length, the name, the value (allocated at the first entry) */
	unsigned char *table;
	size_t table_len;      /* bytes of table in use */
	size_t size, size_max; /* its size as RFC 7541 4.1 counts it, and the limit */
	/* the representation being read */
	unsigned char phase;        /* enum in hpack.c */
	unsigned char what;         /* what the integer being read is */
	unsigned char indexing;     /* the field goes into the table */
	unsigned char huffman;      /* the string being read is Huffman-coded */
	unsigned char in_value;     /* the string being read is the value */
	unsigned char fields;       /* a field was read in this block */
	unsigned char cut_refused;  /* refuse said no to a byte past what is kept */
	unsigned shift;             /* of the integer's next 7 bits */
	uint32_t num;               /* the integer so far */
	size_t left;                /* bytes of the string to go */
	size_t name_len, value_len; /* their whole lengths, kept or not */
	uint32_t code, first;       /* the Huffman code being read: its bits, the first code */
	unsigned idx, bits;         /*   of its length, its rank among symbols, its length */
	struct buf name, value;     /* as kept */
	/* Set by the user: whether byte c of a name (in_value 0) or value would make the
	 * field malformed, asked of the bytes past HPACK_KEEP, which the user never sees. */
	int (*refuse)(int in_value, unsigned char c);
};

/* Makes d a new decoder: an empty table of the default size. */
void hpack_init(struct hpack *d);

/* Feeds n bytes of a header block; final: the block ends with them. Calls field(arg, ...)
 * for each field. Returns 0, or -1 on a compression error (the decoder is then unusable). */
int hpack_decode(struct hpack *d, const unsigned char *p, size_t n, int final,
		 hpack_field_fn *field, void *arg);

/* Frees what d holds. */
void hpack_free(struct hpack *d);

#endif
