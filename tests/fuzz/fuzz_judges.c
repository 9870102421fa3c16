/* The database kinds' judges (check_postgres.c, check_mysql.c, check_redis.c): a server's
 * first bytes, cut in two reads where the first byte says, then the end. The first byte
 * also picks the judge. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "check_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum check_result (*const judges[])(struct check_answer *) = {
    check_postgres_judge,
    check_mysql_judge,
    check_redis_judge,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum check_result (*judge)(struct check_answer *) = judges[data[0] % 3];
	const char *p = (const char *)data + 1;
	size_t n = size - 1 < CHECK_ANSWER_MAX ? size - 1 : CHECK_ANSWER_MAX;
	size_t cut = n ? (size_t)(data[0] / 3) % (n + 1) : 0;
	struct buf reply = {0};
	struct check_answer a = {.p = p, .n = cut, .reply = &reply};
	enum check_result r = judge(&a);
	if (r == CHECK_UNKNOWN) {
		a = (struct check_answer){.p = p, .n = n, .old = cut, .end = 1, .reply = &reply};
		r = judge(&a);
	}
	/* At the end there is a verdict, with a reason; a warning only on a pass. */
	if (r == CHECK_UNKNOWN || !a.why[0] || (a.warn && r != CHECK_OK))
		__builtin_trap();
	buf_free(&reply);
	return 0;
}
