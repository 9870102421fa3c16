/* What an HTTP/2 server sends a gRPC health check, byte for byte, in pieces of any size:
 * frames, HPACK blocks, padding, SETTINGS, PING, GOAWAY. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "h2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fields, data_bytes;

static void
on_field(void *arg, const struct h2_field *f, int trailers)
{
	(void)arg;
	(void)trailers;
	if (f->name_len > 1 << 20 || f->value_len > 1 << 20)
		__builtin_trap();
	fields++;
}

static int
on_data(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	data_bytes += n;
	return data_bytes > 65536 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	static const struct h2_handler handler = {.field = on_field, .data = on_data};
	fields = data_bytes = 0;
	struct h2 *h = h2_new(&handler, "\x82", 1, "body", 4);
	if (!h)
		return 0;
	int ev = H2_MORE;
	for (size_t off = 0; off < size && ev == H2_MORE; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		ev = h2_feed(h, (const char *)data + off, n);
		size_t len;
		const char *out = h2_output(h, &len);
		if (out && len)
			h2_sent(h, len);
	}
	if (ev == H2_ERROR && strcmp(h2_error(h), "HTTP/2 error") == 0)
		__builtin_trap();
	h2_free(h);
	return 0;
}
