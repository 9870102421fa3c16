/* PostgreSQL checks, postgres://[user@]host[:port][/database]: ready as libpq's PQping,
 * pg_isready's rule, judges it (internal_ping and PQconnectPoll, src/interfaces/libpq/
 * fe-connect.c). The server is up when it asks for authentication (any request, or
 * AuthenticationOk) or answers with an error whose SQLSTATE is anything but 57P03
 * cannot_connect_now, which is "rejecting" (starting up, shutting down, in recovery:
 * the postmaster's CAC_* answers, src/backend/tcop/backend_startup.c); 53300, too many
 * clients, is up. No answer, an error without a SQLSTATE (a pre-3.0 server's, of a
 * length libpq calls one) or any other first message is down. The startup message asks
 * for protocol 3.0 without an SSLRequest first: a server that wants TLS answers 28000,
 * which is up, as pg_isready's verdict over TLS would be. */
#include "check_impl.h"

#include "buf.h"
#include "target.h"

#include <string.h>
#include <sys/epoll.h>

/* libpq's default user is the operating system's, which a scratch image has none of; a
 * server always has this one, and a client that leaves at the authentication request,
 * as podhealth does, leaves no line in the server's log. */
#define PG_USER       "postgres"
#define PG_MAX_ERRLEN 30000 /* libpq's MAX_ERRLEN: a longer error is a pre-3.0 server's */
#define PG_MAX_AUTH   2000  /* libpq's bound on an authentication request */

static void
put32(struct buf *b, uint32_t v)
{
	const char be[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
	buf_append(b, be, 4);
}

static uint32_t
get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* The StartupMessage (protocol 3.0): user, database when the URL names one (else the
 * server takes the user's name), and application_name, as pg_isready names itself. */
static void
pg_connected(struct check *c)
{
	const struct target *t = check_target(c);
	struct buf m = {0};
	put32(&m, 0);
	put32(&m, 3u << 16);
	buf_printf(&m, "user%c%s%c", 0, t->user ? t->user : PG_USER, 0);
	if (t->path[0])
		buf_printf(&m, "database%c%s%c", 0, t->path, 0);
	buf_printf(&m, "application_name%cpodhealth%c%c", 0, 0, 0);
	check_want(c, EPOLLIN);
	if (m.failed) {
		check_finish(c, CHECK_FAIL, "out of memory");
	} else {
		size_t n = m.len;
		m.len = 0;
		put32(&m, (uint32_t)n);
		check_write(c, m.data, n);
	}
	buf_free(&m);
}

/* An ErrorResponse's fields (n bytes, whole or cut at CHECK_ANSWER_MAX): the verdict on
 * its SQLSTATE, libpq's last_sqlstate (the last 'C' field, cut to 5 bytes). */
static enum check_result
pg_error(struct check_answer *a, const char *body, size_t n)
{
	const char *code = "", *msg = "";
	size_t msglen = 0;
	for (size_t i = 0; i < n && body[i];) {
		const char *v = body + i + 1;
		const char *nul = memchr(v, '\0', n - i - 1);
		if (!nul)
			break;
		if (body[i] == 'C')
			code = v;
		if (body[i] == 'M')
			msg = v, msglen = (size_t)(nul - v);
		i = (size_t)(nul + 1 - body);
	}
	if (strlen(code) < 5)
		return CHECK_SAY(a, CHECK_FAIL, "an error without a SQLSTATE: %.*s", (int)msglen,
				 msg);
	if (memcmp(code, "57P03", 5) == 0)
		return CHECK_SAY(a, CHECK_FAIL, "rejecting connections: 57P03 %.*s", (int)msglen,
				 msg);
	return CHECK_SAY(a, CHECK_OK, "up, it answers %.5s %.*s", code, (int)msglen, msg);
}

enum check_result
check_postgres_judge(struct check_answer *a)
{
	const char *p = a->p;
	if (a->n == 0)
		return a->end ? CHECK_SAY(a, CHECK_FAIL, "connection closed without an answer")
			      : CHECK_UNKNOWN;
	if (p[0] != 'R' && p[0] != 'E')
		return CHECK_SAY(a, CHECK_FAIL,
				 "not a PostgreSQL server (its first byte is 0x%02x)",
				 (unsigned char)p[0]);
	uint32_t len = a->n >= 5 ? get32(p + 1) : 0;
	if (a->n >= 5 && (len < 8 || len > (p[0] == 'R' ? PG_MAX_AUTH : PG_MAX_ERRLEN)))
		return CHECK_SAY(a, CHECK_FAIL, "not a PostgreSQL 3.0 answer");
	/* libpq reads the whole message; one longer than fits is judged on what did. */
	if (a->n < 5 || (a->n < 1 + (size_t)len && !a->end))
		return a->end ? CHECK_SAY(a, CHECK_FAIL, "the answer ended early") : CHECK_UNKNOWN;
	if (a->n < 1 + (size_t)len && a->n < CHECK_ANSWER_MAX)
		return CHECK_SAY(a, CHECK_FAIL, "the answer ended early");
	if (p[0] == 'E')
		return pg_error(a, p + 5, (a->n < 1 + (size_t)len ? a->n : 1 + (size_t)len) - 5);
	if (get32(p + 5) != 0)
		return CHECK_SAY(a, CHECK_OK, "up, it asks podhealth to authenticate");
	if (a->reply) /* Terminate: the parting words of a client that leaves */
		buf_append(a->reply, "X\0\0\0\4", 5);
	return CHECK_SAY(a, CHECK_OK, "up, it lets podhealth in");
}

const struct check_kind check_kind_postgres = {
    .connected = pg_connected,
    .judge = check_postgres_judge,
};
