/* MySQL and MariaDB checks, mysql://[user@]host[:port]: ready as `mysqladmin ping` judges
 * it (client/mysqladmin.cc, main): it connects and logs in, and a login refused with a
 * server's error (access denied, an unknown user: any code outside the client's own,
 * CR_MIN_ERROR 2000 to CR_MAX_ERROR 2999 in include/errmsg.h) still means the server is
 * up ("Return 0 if all commands are PING"). So: the server's greeting (protocol 10;
 * mariadb_lib.c's mthd_my_real_connect refuses a lower one), then, to podhealth's
 * handshake response (a user, no password), any answer at all is up. Down: a connection
 * that ends first, a packet out of sequence, a greeting that is not one, and an error in
 * place of the greeting (too many connections 1040, host not allowed 1130, host blocked
 * 1129): Debian 12's mysqladmin (MariaDB 10.11, TLS on by default) turns an error that
 * comes before the TLS handshake into a client error, CR_CONNECTION_ERROR, as it cannot
 * tell that the server sent it. Answering the greeting is not only faithful: a client
 * that leaves before it is a handshake error, which the server counts against its host
 * (max_connect_errors, 100 by default) until it blocks it, while a refused login is not
 * counted (sql/hostname.h, sum_connect_errors). */
#include "check_impl.h"

#include "buf.h"
#include "target.h"

#include <string.h>
#include <sys/epoll.h>

/* The user podhealth names: an account with no password lets it in, any other answer
 * says no and is logged by that name, which tells a database administrator who asked. */
#define MYSQL_USER "podhealth"

/* Capabilities: CLIENT_LONG_PASSWORD, CLIENT_PROTOCOL_41 and CLIENT_SECURE_CONNECTION,
 * without CLIENT_PLUGIN_AUTH: the server answers OK or an error, never a switch. */
#define MYSQL_CAPS 0x8201u

static void
mysql_connected(struct check *c)
{
	check_want(c, EPOLLIN); /* the server speaks first */
}

/* A packet's length and sequence number (4 bytes at p). */
static size_t
packet_len(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16;
}

/* HandshakeResponse41, sequence 1: capabilities, max packet, charset utf8, 23 zeros, the
 * user, an empty authentication response. */
static void
handshake_response(const char *user, struct buf *b)
{
	size_t ulen = strlen(user);
	unsigned char head[4 + 32] = {0};
	size_t len = 32 + ulen + 2;
	head[0] = (unsigned char)len, head[1] = (unsigned char)(len >> 8), head[3] = 1;
	head[4] = MYSQL_CAPS & 0xff, head[5] = MYSQL_CAPS >> 8;
	head[11] = 1;  /* max packet 16 MiB */
	head[12] = 33; /* utf8_general_ci */
	buf_append(b, head, sizeof head);
	buf_append(b, user, ulen + 1);
	buf_append(b, "", 1);
}

/* An error packet (payload n bytes at p, 0xff first): its code and message. */
static unsigned
error_of(const char *p, size_t n, const char **msg, int *len)
{
	*msg = n > 3 ? p + 3 : "";
	*len = n > 3 ? (int)(n - 3) : 0;
	if (*len > 6 && **msg == '#') /* '#' and a SQLSTATE */
		*msg += 6, *len -= 6;
	return n >= 3 ? (unsigned char)p[1] | (unsigned)(unsigned char)p[2] << 8 : 0;
}

enum check_result
check_mysql_judge(struct check_answer *a)
{
	const char *user = a->target && a->target->user ? a->target->user : MYSQL_USER;
	const char *p = a->p;
	if (a->n < 4 || a->n < 4 + packet_len(p))
		return !a->end ? CHECK_UNKNOWN
		       : a->n == CHECK_ANSWER_MAX
			   ? CHECK_SAY(a, CHECK_FAIL, "not a MySQL greeting (too long)")
			   : CHECK_SAY(a, CHECK_FAIL, "connection closed before the greeting");
	size_t glen = 4 + packet_len(p);
	unsigned char first = glen > 4 ? (unsigned char)p[4] : 0;
	if (p[3] != 0)
		return CHECK_SAY(a, CHECK_FAIL, "packets out of order");
	const char *msg;
	int len;
	if (first == 0xff) {
		unsigned code = error_of(p + 4, glen - 4, &msg, &len);
		return CHECK_SAY(a, CHECK_FAIL, "error %u in place of its greeting: %.*s", code,
				 len, msg);
	}
	if (first < 10)
		return CHECK_SAY(a, CHECK_FAIL, "not a MySQL greeting (protocol %u)", first);
	const char *version = p + 5;
	int vlen = (int)strnlen(version, glen - 5);
	if (a->old < glen && a->reply)
		handshake_response(user, a->reply);
	const char *r = p + glen;
	size_t have = a->n - glen;
	if (have < 4 || (have < 4 + packet_len(r) && !a->end))
		return !a->end ? CHECK_UNKNOWN
			       : CHECK_SAY(a, CHECK_FAIL,
					   "connection closed after the greeting of %.*s", vlen,
					   version);
	if (r[3] != 2)
		return CHECK_SAY(a, CHECK_FAIL, "packets out of order");
	size_t rlen = have - 4 < packet_len(r) ? have - 4 : packet_len(r);
	/* mysqladmin's client reads the whole packet; cut short, or an error packet too short
	 * to hold a code, is its own error (CR_SERVER_LOST, CR_UNKNOWN_ERROR): down. */
	if ((rlen < packet_len(r) && a->n < CHECK_ANSWER_MAX) || rlen == 0 ||
	    ((unsigned char)r[4] == 0xff && rlen < 3))
		return CHECK_SAY(a, CHECK_FAIL, "the answer to the handshake ended early");
	if ((unsigned char)r[4] == 0xff) {
		unsigned code = error_of(r + 4, rlen, &msg, &len);
		return code >= 2000 && code <= 2999 /* a client's code: not the server's say */
			   ? CHECK_SAY(a, CHECK_FAIL, "a client's error %u to the handshake: %.*s",
				       code, len, msg)
			   : CHECK_SAY(a, CHECK_OK,
				       "up, it answers error %u to the handshake: %.*s", code, len,
				       msg);
	}
	/* In: COM_QUIT, the parting words of a client that leaves (else the server logs an
	 * aborted connection). */
	if (a->reply)
		buf_append(a->reply, "\1\0\0\0\1", 5);
	return CHECK_SAY(a, CHECK_OK, "up, %.*s lets %s in", vlen, version, user);
}

const struct check_kind check_kind_mysql = {
    .connected = mysql_connected,
    .judge = check_mysql_judge,
};
