/* Upstream responses as a check reads them: in pieces of any size, a final response or a
 * redirect being drained, with and without the body kept for body=, then the end. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "response.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	int head = data[1] & 1, keep = data[1] & 2;
	size_t limit = data[1] & 4 ? 2048 : TARGET_BODY_MAX;
	data += 2;
	size -= 2;
	static struct response r;
	if (keep && response_keep(&r, TARGET_BODY_MAX) < 0)
		return 0;
	response_init(&r, head);
	int ev = RESPONSE_MORE;
	for (size_t off = 0; off < size && (ev == RESPONSE_MORE || ev == RESPONSE_HEAD);) {
		size_t n = size - off < chunk ? size - off : chunk, used = 0;
		ev = response_feed(&r, (const char *)data + off, n, &used);
		if (used > n)
			__builtin_trap();
		off += used;
		if (ev == RESPONSE_HEAD) {
			/* Any three-digit status is a status (as in Go's client). */
			if (r.status < 0 || r.status > 999 || !response_headed(&r))
				__builtin_trap();
			if (r.location && strlen(r.location) > RESPONSE_LOCATION_MAX)
				__builtin_trap();
			ev = response_body(&r, limit);
		}
	}
	if (ev == RESPONSE_MORE)
		ev = response_eof(&r);
	if (ev == RESPONSE_ERROR && !r.error)
		__builtin_trap();
	if (r.kept_len > r.kept_cap)
		__builtin_trap();
	return 0;
}
