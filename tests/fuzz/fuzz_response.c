/* Upstream responses as a check reads them: in pieces of any size, with and without the
 * body buffer of body= checks, then end of stream. */
#include <stddef.h>
#include <stdint.h>

#include "check_http.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	int want_body = data[1] & 1;
	data += 2;
	size -= 2;
	static struct http_resp r;
	if (want_body && !r.body_cap && http_resp_want_body(&r, TARGET_BODY_MAX) < 0)
		return 0;
	if (!want_body)
		http_resp_free(&r);
	http_resp_init(&r);
	int status = -2;
	for (size_t off = 0; off < size && status == -2; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		status = http_resp_feed(&r, (const char *)data + off, n);
		/* Any three-digit status is a status (as in Go's client, so in kubelet's). */
		if (status >= 0 && (status < 100 || status > 999))
			__builtin_trap();
	}
	if (status == -2)
		status = http_resp_eof(&r);
	if (r.body_len > r.body_cap)
		__builtin_trap();
	return 0;
}
