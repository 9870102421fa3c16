/* hpack.c against nghttp2's HPACK decoder (Debian's libnghttp2, linked by the tests only):
 * the input is two header blocks decoded in turn by both, ours fed in chunks; every field
 * must be the same, and so must the refusals, but where nghttp2's own limit refuses a
 * field over 64 KiB that HPACK allows (ours reads it and keeps HPACK_KEEP bytes).
 * data[0]: where the first block ends (of 256ths); data[1]: the chunk size, 1-32. */
#include <nghttp2/nghttp2.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ours {
	struct hpack d;
	struct buf out;
	size_t longest; /* the longest name or value, whole */
};

static void
ours_field(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct ours *o = arg;
	size_t whole = o->d.value_len > o->d.name_len ? o->d.value_len : o->d.name_len;
	if (whole > o->longest)
		o->longest = whole;
	buf_append(&o->out, name, nlen);
	buf_append(&o->out, "\0", 1);
	buf_append(&o->out, value, vlen);
	buf_append(&o->out, "\0", 1);
}

/* nghttp2's fields of one block into out (values cut as ours are). Returns 0, or -1. */
static int
theirs(nghttp2_hd_inflater *in, const uint8_t *p, size_t n, struct buf *out)
{
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t used = nghttp2_hd_inflate_hd2(in, &nv, &flags, p, n, 1);
		if (used < 0)
			return -1;
		p += used;
		n -= (size_t)used;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			buf_append(out, nv.name, nv.namelen < HPACK_KEEP ? nv.namelen : HPACK_KEEP);
			buf_append(out, "\0", 1);
			buf_append(out, nv.value,
				   nv.valuelen < HPACK_KEEP ? nv.valuelen : HPACK_KEEP);
			buf_append(out, "\0", 1);
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(in);
			return 0;
		}
		if (n == 0 && !(flags & NGHTTP2_HD_INFLATE_EMIT))
			return -1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t split = (size - 2) * data[0] / 256, chunk = data[1] % 32 + 1;
	const uint8_t *blocks[2] = {data + 2, data + 2 + split};
	size_t lens[2] = {split, size - 2 - split};
	struct ours o;
	memset(&o, 0, sizeof o);
	hpack_init(&o.d);
	nghttp2_hd_inflater *in;
	if (nghttp2_hd_inflate_new(&in) != 0)
		return 0;
	struct buf want = {0};
	for (int b = 0; b < 2; b++) {
		o.out.len = want.len = 0;
		int r = 0;
		for (size_t at = 0; r == 0 && (at < lens[b] || at == 0); at += chunk) {
			size_t n = lens[b] - at < chunk ? lens[b] - at : chunk;
			r = hpack_decode(&o.d, blocks[b] + at, n, at + n == lens[b], ours_field,
					 &o);
			if (lens[b] == 0)
				break;
		}
		int t = theirs(in, blocks[b], lens[b], &want);
		if (r < 0 && t < 0)
			break; /* both refuse: the connection ends */
		if (r < 0 || (t < 0 && o.longest <= 65536))
			__builtin_trap(); /* one refuses what the other takes */
		if (t < 0)
			break;
		if (o.out.len != want.len || (want.len && memcmp(o.out.data, want.data, want.len)))
			__builtin_trap(); /* different fields */
	}
	nghttp2_hd_inflate_del(in);
	hpack_free(&o.d);
	buf_free(&o.out);
	buf_free(&want);
	return 0;
}
