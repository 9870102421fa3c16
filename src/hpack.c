#include "hpack.h"

#include <stdlib.h>
#include <string.h>

/* RFC 7541 Appendix A: name and value of each entry, index 1 first. */
static const char static_table[] = ":authority\0"
				   "\0"
				   ":method\0"
				   "GET\0"
				   ":method\0"
				   "POST\0"
				   ":path\0"
				   "/\0"
				   ":path\0"
				   "/index.html\0"
				   ":scheme\0"
				   "http\0"
				   ":scheme\0"
				   "https\0"
				   ":status\0"
				   "200\0"
				   ":status\0"
				   "204\0"
				   ":status\0"
				   "206\0"
				   ":status\0"
				   "304\0"
				   ":status\0"
				   "400\0"
				   ":status\0"
				   "404\0"
				   ":status\0"
				   "500\0"
				   "accept-charset\0"
				   "\0"
				   "accept-encoding\0"
				   "gzip, deflate\0"
				   "accept-language\0"
				   "\0"
				   "accept-ranges\0"
				   "\0"
				   "accept\0"
				   "\0"
				   "access-control-allow-origin\0"
				   "\0"
				   "age\0"
				   "\0"
				   "allow\0"
				   "\0"
				   "authorization\0"
				   "\0"
				   "cache-control\0"
				   "\0"
				   "content-disposition\0"
				   "\0"
				   "content-encoding\0"
				   "\0"
				   "content-language\0"
				   "\0"
				   "content-length\0"
				   "\0"
				   "content-location\0"
				   "\0"
				   "content-range\0"
				   "\0"
				   "content-type\0"
				   "\0"
				   "cookie\0"
				   "\0"
				   "date\0"
				   "\0"
				   "etag\0"
				   "\0"
				   "expect\0"
				   "\0"
				   "expires\0"
				   "\0"
				   "from\0"
				   "\0"
				   "host\0"
				   "\0"
				   "if-match\0"
				   "\0"
				   "if-modified-since\0"
				   "\0"
				   "if-none-match\0"
				   "\0"
				   "if-range\0"
				   "\0"
				   "if-unmodified-since\0"
				   "\0"
				   "last-modified\0"
				   "\0"
				   "link\0"
				   "\0"
				   "location\0"
				   "\0"
				   "max-forwards\0"
				   "\0"
				   "proxy-authenticate\0"
				   "\0"
				   "proxy-authorization\0"
				   "\0"
				   "range\0"
				   "\0"
				   "referer\0"
				   "\0"
				   "refresh\0"
				   "\0"
				   "retry-after\0"
				   "\0"
				   "server\0"
				   "\0"
				   "set-cookie\0"
				   "\0"
				   "strict-transport-security\0"
				   "\0"
				   "transfer-encoding\0"
				   "\0"
				   "user-agent\0"
				   "\0"
				   "vary\0"
				   "\0"
				   "via\0"
				   "\0"
				   "www-authenticate\0"
				   "\0";

/* RFC 7541 Appendix B, as a canonical code (it is one): how many symbols have a code of
 * each length (0-30 bits), and the symbols in code order (by length, then value); EOS,
 * the only one past 255, comes last. */
static const unsigned char huff_count[31] = {0, 0, 0, 0, 0, 10, 26, 32, 6,  0, 5,  3,  2,  6, 2, 3,
					     0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29, 0, 4};
static const unsigned char huff_symbol[256] = {
    48,  49,  50,  97,  99,  101, 105, 111, 115, 116, 32,  37,  45,  46,  47,  51,  52,  53,  54,
    55,  56,  57,  61,  65,  95,  98,  100, 102, 103, 104, 108, 109, 110, 112, 114, 117, 58,  66,
    67,  68,  69,  70,  71,  72,  73,  74,  75,  76,  77,  78,  79,  80,  81,  82,  83,  84,  85,
    86,  87,  89,  106, 107, 113, 118, 119, 120, 121, 122, 38,  42,  44,  59,  88,  90,  33,  34,
    40,  41,  63,  39,  43,  124, 35,  62,  0,   36,  64,  91,  93,  126, 94,  125, 60,  96,  123,
    92,  195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161, 167, 172, 176, 177, 179, 209,
    216, 217, 227, 229, 230, 129, 132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170, 173,
    178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232, 233, 1,   135, 137, 138, 139, 140, 141,
    143, 147, 149, 150, 151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182, 183, 188, 191,
    197, 231, 239, 9,   142, 144, 145, 148, 159, 171, 206, 215, 225, 236, 237, 199, 207, 234, 235,
    192, 193, 200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243, 255, 203, 204, 211, 212,
    214, 221, 222, 223, 241, 244, 245, 246, 247, 248, 250, 251, 252, 253, 254, 2,   3,   4,   5,
    6,   7,   8,   11,  12,  14,  15,  16,  17,  18,  19,  20,  21,  23,  24,  25,  26,  27,  28,
    29,  30,  31,  127, 220, 249, 10,  13,  22,
};

enum { P_REP, P_INT, P_STRHEAD, P_STR };      /* phases */
enum { I_INDEXED, I_NAME, I_SIZE, I_STRLEN }; /* what an integer is */

/* The name's and the value's lengths of the dynamic table's entry at byte at, and the
 * bytes it takes (its two lengths, then the name and the value). */
static size_t
stored(const struct hpack *d, size_t at, size_t *nlen, size_t *vlen)
{
	*nlen = (size_t)d->table[at] << 8 | d->table[at + 1];
	*vlen = (size_t)d->table[at + 2] << 8 | d->table[at + 3];
	return 4 + *nlen + *vlen;
}

/* Name and value of table entry i (1-based: static, then dynamic newest first). Returns
 * 0, or -1 when there is no such entry. */
static int
entry(const struct hpack *d, uint32_t i, const char **name, size_t *nlen, const char **value,
      size_t *vlen)
{
	if (i == 0)
		return -1;
	if (i <= 61) {
		const char *s = static_table;
		while (--i)
			s += strlen(s) + 1, s += strlen(s) + 1;
		*name = s, *nlen = strlen(s);
		*value = s + *nlen + 1, *vlen = strlen(*value);
		return 0;
	}
	size_t count = 0, at;
	for (at = 0; at < d->table_len; count++)
		at += stored(d, at, nlen, vlen);
	if (i - 61 > count)
		return -1;
	for (at = 0, count -= i - 61; count--;)
		at += stored(d, at, nlen, vlen);
	stored(d, at, nlen, vlen);
	*name = (const char *)d->table + at + 4;
	*value = *name + *nlen;
	return 0;
}

/* Drops the oldest entries until the table's size is at most max (RFC 7541 4.3, 4.4). */
static void
evict(struct hpack *d, size_t max)
{
	size_t nlen, vlen;
	while (d->size > max) {
		size_t n = stored(d, 0, &nlen, &vlen);
		d->size -= n - 4 + 32;
		d->table_len -= n;
		memmove(d->table, d->table + n, d->table_len);
	}
}

/* Adds the field just read to the table (RFC 7541 4.4): one larger than the table empties
 * it. Returns 0, or -1 out of memory. */
static int
insert(struct hpack *d)
{
	size_t n = d->name_len + d->value_len;
	evict(d, n + 32 > d->size_max ? 0 : d->size_max - n - 32);
	if (n + 32 > d->size_max)
		return 0;
	if (!d->table && !(d->table = malloc(HPACK_TABLE_MAX)))
		return -1;
	unsigned char *e = d->table + d->table_len;
	e[0] = (unsigned char)(d->name_len >> 8), e[1] = (unsigned char)d->name_len;
	e[2] = (unsigned char)(d->value_len >> 8), e[3] = (unsigned char)d->value_len;
	if (d->name_len) /* an empty one has no buffer */
		memcpy(e + 4, d->name.data, d->name_len);
	if (d->value_len)
		memcpy(e + 4 + d->name_len, d->value.data, d->value_len);
	d->table_len += 4 + n;
	d->size += n + 32;
	return 0;
}

/* Keeps byte c of the string being read (up to HPACK_KEEP of it). */
static void
keep(struct hpack *d, char c)
{
	struct buf *b = d->in_value ? &d->value : &d->name;
	size_t *len = d->in_value ? &d->value_len : &d->name_len;
	if ((*len)++ < HPACK_KEEP)
		buf_append(b, &c, 1);
	else if (d->refuse && d->refuse(d->in_value, (unsigned char)c))
		d->cut_refused = 1;
}

/* The string (name or value) is complete. Returns 0, or -1. */
static int
string_done(struct hpack *d, hpack_field_fn *field, void *arg)
{
	/* Huffman padding: at most 7 bits, all ones (RFC 7541 5.2) */
	if (d->huffman && (d->bits > 7 || d->code != (1u << d->bits) - 1))
		return -1;
	if (!d->in_value) {
		d->in_value = 1;
		d->phase = P_STRHEAD;
		return 0;
	}
	if (d->name.failed || d->value.failed || (d->indexing && insert(d) < 0))
		return -1;
	field(arg, d->name.data ? d->name.data : "", d->name.len,
	      d->value.data ? d->value.data : "", d->value.len);
	d->phase = P_REP;
	return 0;
}

/* The integer being read is complete. Returns 0, or -1. */
static int
int_done(struct hpack *d, hpack_field_fn *field, void *arg)
{
	const char *name, *value;
	size_t nlen, vlen;
	d->phase = P_STRHEAD;
	switch (d->what) {
	case I_INDEXED:
		if (entry(d, d->num, &name, &nlen, &value, &vlen) < 0)
			return -1;
		field(arg, name, nlen, value, vlen);
		d->phase = P_REP;
		return 0;
	case I_NAME:
		if (d->num == 0)
			return 0; /* a literal name follows */
		if (entry(d, d->num, &name, &nlen, &value, &vlen) < 0)
			return -1;
		buf_append(&d->name, name, nlen);
		d->name_len = nlen;
		d->in_value = 1;
		return 0;
	case I_SIZE:
		/* only before the block's first field, and within what we allow */
		if (d->fields || d->num > HPACK_TABLE_MAX)
			return -1;
		evict(d, d->size_max = d->num);
		d->phase = P_REP;
		return 0;
	}
	d->left = d->num; /* I_STRLEN */
	d->phase = P_STR;
	d->code = d->first = d->idx = d->bits = 0;
	return d->left ? 0 : string_done(d, field, arg);
}

/* Starts an integer of prefix bits in byte b (RFC 7541 5.1). */
static int
int_start(struct hpack *d, unsigned b, unsigned prefix, int what, hpack_field_fn *field, void *arg)
{
	unsigned max = (1u << prefix) - 1;
	d->what = (unsigned char)what;
	d->num = b & max;
	d->shift = 0;
	if (d->num < max)
		return int_done(d, field, arg);
	d->phase = P_INT;
	return 0;
}

/* One byte of a Huffman-coded string: its bits, most significant first. Returns 0, or -1
 * on EOS (RFC 7541 5.2: a decoding error). */
static int
huffman_byte(struct hpack *d, unsigned b)
{
	for (int i = 7; i >= 0; i--) {
		d->code = d->code << 1 | (b >> i & 1);
		d->first <<= 1;
		if (++d->bits > 30)
			return -1;
		unsigned n = huff_count[d->bits];
		if (d->code - d->first < n) {
			unsigned rank = d->idx + d->code - d->first;
			if (rank > 255)
				return -1; /* EOS */
			keep(d, (char)huff_symbol[rank]);
			d->code = d->first = d->idx = d->bits = 0;
		} else {
			d->first += n;
			d->idx += n;
		}
	}
	return 0;
}

int
hpack_decode(struct hpack *d, const unsigned char *p, size_t n, int final, hpack_field_fn *field,
	     void *arg)
{
	for (; n > 0; p++, n--) {
		unsigned b = *p;
		int r = 0;
		switch (d->phase) {
		case P_REP:
			d->name.len = d->value.len = d->name_len = d->value_len = 0;
			d->name.failed = d->value.failed = 0;
			d->in_value = d->cut_refused = 0;
			if (b & 0x80) {
				d->fields = 1;
				r = int_start(d, b, 7, I_INDEXED, field, arg);
			} else if ((b & 0xe0) == 0x20) {
				r = int_start(d, b, 5, I_SIZE, field, arg);
			} else {
				d->fields = 1;
				d->indexing = (b & 0xc0) == 0x40;
				r = int_start(d, b, d->indexing ? 6 : 4, I_NAME, field, arg);
			}
			break;
		case P_INT:
			if (d->shift > 21)
				return -1; /* past 2^28: no length or index is that large */
			d->num += (uint32_t)(b & 0x7f) << d->shift;
			d->shift += 7;
			if (!(b & 0x80))
				r = int_done(d, field, arg);
			break;
		case P_STRHEAD:
			d->huffman = (unsigned char)(b >> 7);
			r = int_start(d, b, 7, I_STRLEN, field, arg);
			break;
		default: /* P_STR */
			if (d->huffman)
				r = huffman_byte(d, b);
			else
				keep(d, (char)b);
			if (r == 0 && --d->left == 0)
				r = string_done(d, field, arg);
		}
		if (r < 0)
			return -1;
	}
	if (!final)
		return 0;
	d->fields = 0;
	return d->phase == P_REP ? 0 : -1; /* a block that ends inside a field */
}

void
hpack_init(struct hpack *d)
{
	memset(d, 0, sizeof *d);
	d->size_max = HPACK_TABLE_MAX;
}

void
hpack_free(struct hpack *d)
{
	free(d->table);
	buf_free(&d->name);
	buf_free(&d->value);
}
