/* Redis checks, redis[s]://host[:port]: ready as the usual probe, `redis-cli ping | grep
 * PONG`, judges it (redis-cli itself exits 0 on any answer, an error included). PING is
 * sent as redis-cli sends it, a RESP array; +PONG is ready. An error is not: LOADING
 * (PING does not carry the ok-loading flag, src/commands/ping.json), MASTERDOWN (a replica
 * cut off from its master with replica-serve-stale-data no), BUSY, DENIED (protected
 * mode). One error passes with a warning: NOAUTH, a server that wants a password, which
 * podhealth never holds. Redis checks it first (processCommand in src/server.c), so it
 * hides whether the data is loaded; but the server is up and answering, and failing it
 * would keep a pod that needs no more from ever becoming ready. */
#include "check_impl.h"

#include <string.h>
#include <sys/epoll.h>

static void
redis_connected(struct check *c)
{
	static const char ping[] = "*1\r\n$4\r\nPING\r\n";
	check_want(c, EPOLLIN);
	check_write(c, ping, sizeof ping - 1);
}

enum check_result
check_redis_judge(struct check_answer *a)
{
	const char *crlf = NULL;
	for (size_t i = 1; i < a->n && !crlf; i++)
		if (a->p[i - 1] == '\r' && a->p[i] == '\n')
			crlf = a->p + i - 1;
	if (!crlf)
		return !a->end                    ? CHECK_UNKNOWN
		       : a->n == CHECK_ANSWER_MAX ? CHECK_SAY(a, CHECK_FAIL, "not a Redis answer")
		       : a->n == 0 ? CHECK_SAY(a, CHECK_FAIL, "connection closed without an answer")
				   : CHECK_SAY(a, CHECK_FAIL, "the answer ended early");
	int len = (int)(crlf - a->p);
	if (len == 5 && memcmp(a->p, "+PONG", 5) == 0)
		return CHECK_SAY(a, CHECK_OK, "PONG");
	if (len >= 7 && memcmp(a->p, "-NOAUTH", 7) == 0) {
		a->warn = 1;
		return CHECK_SAY(a, CHECK_OK, "up, but it wants a password to say more: %.*s",
				 len - 1, a->p + 1);
	}
	if (a->p[0] == '-') /* as redis-cli shows it */
		return CHECK_SAY(a, CHECK_FAIL, "(error) %.*s", len - 1, a->p + 1);
	return CHECK_SAY(a, CHECK_FAIL, "not PONG: %.*s", len > 64 ? 64 : len, a->p);
}

/* rediss:// offers no ALPN protocol, as redis-cli. */
const struct check_kind check_kind_redis = {
    .connected = redis_connected,
    .judge = check_redis_judge,
};
