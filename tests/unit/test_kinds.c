/* The check kinds (check_*.c) through the real engine,
 * against a scripted peer on a unix socket (socket=): each answer is written as the script
 * cuts it (byte by byte, or in pieces), then the peer closes or says nothing more (a unix
 * socket has no reset: tests/e2e resets TCP connections).
 * What the kinds judge (statuses, bodies, probe errors, redirects on a new connection,
 * HTTP/2 frames) and what the engine does for them (reads cut anywhere, the end of the
 * stream, the deadline, a second connection) is seen here in milliseconds; real servers,
 * TLS and its alerts meet them in tests/e2e. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"
#include "resolver.h"
#include "target.h"
#include "unix_listener.h"

enum end { END_CLOSE, END_SILENT };

/* What the peer does on one connection: write first (a server that speaks first), read
 * the request, write each piece, then end. */
struct answer {
	const char *bytes;
	size_t len;   /* of bytes (0: strlen) */
	size_t piece; /* write this many bytes at a time (0: all at once) */
	enum end end;
};

struct peer {
	int listener;
	const struct answer *answers; /* one per connection, in order */
	size_t n;
	char requests[4][512]; /* the head of each request received */
	size_t request_len[4];
	const char *first; /* written on each connection before reading; NULL: nothing */
	size_t first_len;
	int binary;       /* a request is one read, not an HTTP head or HTTP/2's preface */
	char parting[64]; /* what the client said after the answer, until it closed (binary) */
	size_t parting_len;
	size_t accepted;
	int release[2]; /* a byte written ends a silent answer */
	pthread_t thread;
};

static void *
peer_run(void *arg)
{
	struct peer *p = arg;
	for (size_t i = 0; i < p->n; i++) {
		int fd = accept(p->listener, NULL, NULL);
		if (fd < 0)
			return NULL;
		p->accepted++;
		/* The request: an HTTP/1.1 head ends with an empty line; HTTP/2's preface,
		 * SETTINGS and request come in one send. */
		const struct answer *a = &p->answers[i];
		static const struct answer nothing = {"", 0, 0, END_CLOSE};
		if (p->first && send(fd, p->first, p->first_len, MSG_NOSIGNAL) < 0)
			a = &nothing;
		size_t got = 0;
		char *req = p->requests[i < 4 ? i : 3];
		ssize_t r;
		while (got < 511 && (r = recv(fd, req + got, 511 - got, 0)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (p->binary || strstr(req, "\r\n\r\n") ||
			    memcmp(req, "PRI * HTTP/2.0", 14) == 0)
				break;
		}
		p->request_len[i < 4 ? i : 3] = got;
		size_t len = a->len ? a->len : strlen(a->bytes);
		size_t step = a->piece ? a->piece : len;
		for (size_t off = 0; off < len; off += step) {
			size_t n = len - off < step ? len - off : step;
			if (send(fd, a->bytes + off, n, MSG_NOSIGNAL) < 0)
				break;
			if (a->piece)
				usleep(500); /* each piece its own read on the other side */
		}
		char c;
		/* Silent until the check has ended (its timeout): then the test writes. */
		ssize_t released = a->end == END_SILENT ? read(p->release[0], &c, 1) : 1;
		(void)released;
		/* The end (half of it), and what a binary protocol's client says before it closes
		 * in turn: its goodbye. */
		p->parting_len = 0;
		if (p->binary && a->end == END_CLOSE)
			shutdown(fd, SHUT_WR);
		while (p->binary && a->end == END_CLOSE && p->parting_len < sizeof p->parting &&
		       (r = recv(fd, p->parting + p->parting_len,
				 sizeof p->parting - p->parting_len, 0)) > 0)
			p->parting_len += (size_t)r;
		close(fd);
	}
	return NULL;
}

struct fixture {
	char dir[64], path[128];
	struct peer peer;
	struct loop *loop;
	struct resolver *res;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/podhealth-test-kinds.XXXXXX");
	f->peer.listener = unix_listener(f->dir, f->path, sizeof f->path, 8);
	assert_int_equal(pipe(f->peer.release), 0);
	f->loop = loop_new();
	f->res = f->loop ? resolver_new(f->loop) : NULL;
	assert_non_null(f->res);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	resolver_free(f->res);
	loop_free(f->loop);
	close(f->peer.listener);
	close(f->peer.release[0]);
	close(f->peer.release[1]);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int done;

static void
on_done(struct waiter *w)
{
	(void)w;
	done = 1;
}

/* Runs one check of spec (a --check spec where %s stands for the fixture's socket path)
 * against answers; returns its result and copies its status into out. */
static enum check_result
check(struct fixture *f, const char *spec, const struct answer *answers, size_t n,
      struct check_status *out)
{
	char full[512], err[256];
	const char *at = strstr(spec, "%s");
	assert_non_null(at);
	snprintf(full, sizeof full, "%.*s%s%s,timeout=250ms", (int)(at - spec), spec, f->path,
		 at + 2);
	struct target t;
	assert_int_equal(target_parse_spec(full, &t, err, sizeof err), 0);
	f->peer.answers = answers;
	f->peer.n = n;
	f->peer.accepted = 0;
	memset(f->peer.requests, 0, sizeof f->peer.requests);
	assert_int_equal(pthread_create(&f->peer.thread, NULL, peer_run, &f->peer), 0);
	struct checker *ck = checker_new(f->loop, f->res, &t, 1, 1000, err, sizeof err);
	assert_non_null(ck);
	checker_log_changes(ck, 0);
	struct waiter w = {.only = 0};
	done = 0;
	checker_wait(ck, &w, on_done);
	for (int i = 0; !done && i < 1000; i++)
		assert_int_equal(loop_run_once(f->loop, 50), 0);
	assert_true(done);
	*out = *checker_status(ck, 0);
	checker_free(ck);
	target_free(&t);
	for (size_t i = 0; i < n; i++)
		if (answers[i].end == END_SILENT)
			assert_int_equal(write(f->peer.release[1], "x", 1), 1);
	pthread_join(f->peer.thread, NULL);
	return out->result;
}

#define OK_200 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static void
test_http_answers(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *name;
		struct answer a;
		enum check_result want;
		const char *reason; /* the start of the reason, or NULL */
	} rows[] = {
	    {"200, whole", {OK_200, 0, 0, END_CLOSE}, CHECK_OK, NULL},
	    {"200, a byte per read", {OK_200, 0, 1, END_CLOSE}, CHECK_OK, NULL},
	    {"200, head in pieces of 7", {OK_200, 0, 7, END_CLOSE}, CHECK_OK, NULL},
	    {"503",
	     {"HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\n", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "HTTP 503"},
	    {"body shorter than Content-Length, then the end",
	     {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "HTTP 200: body shorter than its Content-Length (a probe error"},
	    {"chunked, in pieces of 3",
	     {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0, 3,
	      END_CLOSE},
	     CHECK_OK,
	     NULL},
	    {"closed before any answer", {"", 0, 0, END_CLOSE}, CHECK_FAIL, NULL},
	    {"head, then silence past the timeout",
	     {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", 0, 0, END_SILENT},
	     CHECK_FAIL,
	     "timeout after 250ms (a probe error"},
	    {"not HTTP", {"SSH-2.0-OpenSSH\r\n", 0, 0, END_CLOSE}, CHECK_FAIL, NULL},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct check_status st;
		enum check_result got =
		    check(f, "url=http://localhost/healthz,socket=%s", &rows[i].a, 1, &st);
		if (got != rows[i].want ||
		    (rows[i].reason && strncmp(st.reason, rows[i].reason, strlen(rows[i].reason))))
			fail_msg("%s: result %d, reason '%s'", rows[i].name, got, st.reason);
		if (!strstr(f->peer.requests[0], "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"))
			fail_msg("%s: request '%s'", rows[i].name, f->peer.requests[0]);
	}
}

#define REFUSED "TLS handshake failed: the server refused (handshake_failure: "

/* The TLS layer under the HTTP kind: what a server that is not (or no longer) speaking TLS
 * makes of the handshake, each said as such. */
static void
test_tls_answers(void **state)
{
	struct fixture *f = *state;
	f->peer.binary = 1; /* the ClientHello is one read */
	static const char alert[] = "\x15\x03\x03\x00\x02\x02\x28"; /* fatal handshake_failure */
	static const struct {
		const char *name;
		struct answer a;
		const char *reason; /* the start of the reason */
	} rows[] = {
	    {"a fatal alert", {alert, 7, 0, END_CLOSE}, REFUSED},
	    {"a fatal alert, a byte per read", {alert, 7, 1, END_CLOSE}, REFUSED},
	    {"an HTTP answer",
	     {"HTTP/1.1 400 Bad Request\r\n\r\n", 0, 0, END_CLOSE},
	     "TLS handshake failed: the server answered in plain HTTP"},
	    {"closed before any answer",
	     {"", 0, 0, END_CLOSE},
	     "TLS handshake failed: connection closed without a response"},
	    {"silence past the timeout", {"", 0, 0, END_SILENT}, "timeout after 250ms"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct check_status st;
		enum check_result got =
		    check(f, "url=https://localhost/healthz,socket=%s", &rows[i].a, 1, &st);
		if (got != CHECK_FAIL || strncmp(st.reason, rows[i].reason, strlen(rows[i].reason)))
			fail_msg("%s: result %d, reason '%s'", rows[i].name, got, st.reason);
		/* A ClientHello, naming the server. */
		if (memcmp(f->peer.requests[0], "\x16\x03", 2) ||
		    !memmem(f->peer.requests[0], f->peer.request_len[0], "localhost", 9))
			fail_msg("%s: not a ClientHello for localhost", rows[i].name);
	}
	f->peer.binary = 0;
}

static void
test_http_redirect_takes_a_new_connection(void **state)
{
	struct fixture *f = *state;
	static const struct answer answers[] = {
	    {"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n", 0, 0, END_CLOSE},
	    {OK_200, 0, 3, END_CLOSE},
	};
	struct check_status st;
	assert_int_equal(check(f, "url=http://localhost/,socket=%s", answers, 2, &st), CHECK_OK);
	assert_int_equal(f->peer.accepted, 2);
	assert_non_null(strstr(f->peer.requests[1], "GET /next HTTP/1.1\r\n"));
	assert_int_equal(st.http_status, 200);
	assert_true(st.delivered);
}

/* An HTTP/2 frame: length, type, flags, stream 1 (0 for SETTINGS). */
static size_t
frame(char *out, int type, int flags, const void *p, size_t n)
{
	unsigned char h[9] = {0,
			      (unsigned char)(n >> 8),
			      (unsigned char)n,
			      (unsigned char)type,
			      (unsigned char)flags,
			      0,
			      0,
			      0,
			      type == 4 ? 0 : 1};
	memcpy(out, h, 9);
	memcpy(out + 9, p, n);
	return 9 + n;
}

/* A header block of literal fields without indexing, no Huffman code. */
static size_t
block(char *out, const char *const *fields, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(fields[i]);
		out[len++] = 0;
		out[len++] = (char)l;
		memcpy(out + len, fields[i], l);
		len += l;
		i++;
		l = strlen(fields[i]);
		out[len++] = (char)l;
		memcpy(out + len, fields[i], l);
		len += l;
	}
	return len;
}

static void
test_grpc_answers(void **state)
{
	struct fixture *f = *state;
	static const char *const head[] = {":status", "200", "content-type", "application/grpc"};
	static const char *const ok[] = {"grpc-status", "0"};
	static const char *const down[] = {"grpc-status", "14", "grpc-message", "down"};
	static const char serving[] = {0, 0, 0, 0, 2, 8, 1};
	static const char not_serving[] = {0, 0, 0, 0, 2, 8, 2};
	static const struct {
		const char *name;
		const char *data;
		const char *const *trailers;
		size_t ntrailers;
		size_t piece;
		enum check_result want;
		const char *reason;
	} rows[] = {
	    {"SERVING", serving, ok, 2, 0, CHECK_OK, "SERVING"},
	    {"SERVING, a byte per read", serving, ok, 2, 1, CHECK_OK, "SERVING"},
	    {"NOT_SERVING", not_serving, ok, 2, 0, CHECK_FAIL, "NOT_SERVING"},
	    {"grpc-status 14", NULL, down, 4, 0, CHECK_FAIL, "grpc-status 14 UNAVAILABLE: down"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char bytes[512], b[128];
		size_t n = frame(bytes, 4, 0, "", 0);
		n += frame(bytes + n, 1, 4, b, block(b, head, 4));
		if (rows[i].data)
			n += frame(bytes + n, 0, 0, rows[i].data, 7);
		n += frame(bytes + n, 1, 5, b, block(b, rows[i].trailers, rows[i].ntrailers));
		struct answer a = {bytes, n, rows[i].piece, END_CLOSE};
		struct check_status st;
		enum check_result got = check(f, "url=grpc://localhost:1,socket=%s", &a, 1, &st);
		if (got != rows[i].want ||
		    strncmp(st.reason, rows[i].reason, strlen(rows[i].reason)))
			fail_msg("%s: result %d, reason '%s'", rows[i].name, got, st.reason);
		if (memcmp(f->peer.requests[0], "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) != 0)
			fail_msg("%s: no HTTP/2 preface", rows[i].name);
	}
}

/* One row of a judging kind's table: what the server says, and the verdict. */
struct judged {
	const char *name;
	const char *first; /* what the server says first (first_len bytes), or NULL */
	size_t first_len;
	struct answer a;
	enum check_result want;
	const char *reason; /* the start of the reason */
	int warns;
};

static void
judge_rows(struct fixture *f, const char *spec, const struct judged *rows, size_t n,
	   const char *request, size_t request_len)
{
	f->peer.binary = 1;
	for (size_t i = 0; i < n; i++) {
		struct check_status st;
		f->peer.first = rows[i].first;
		f->peer.first_len = rows[i].first_len;
		enum check_result got = check(f, spec, &rows[i].a, 1, &st);
		if (got != rows[i].want ||
		    strncmp(st.reason, rows[i].reason, strlen(rows[i].reason)) ||
		    (st.warning[0] != 0) != rows[i].warns)
			fail_msg("%s: result %d, reason '%s', warning '%s'", rows[i].name, got,
				 st.reason, st.warning);
		if (rows[i].first == NULL && f->peer.request_len[0] == 0)
			fail_msg("%s: no request", rows[i].name);
		if (f->peer.request_len[0] && request &&
		    !memmem(f->peer.requests[0], f->peer.request_len[0], request, request_len))
			fail_msg("%s: the request lacks what it should say", rows[i].name);
	}
}

#define ROWS(r) r, sizeof r / sizeof r[0]
#define BIN(s)  s, sizeof s - 1

static void
test_postgres_answers(void **state)
{
	/* Message type, length (itself included), body. */
	static const char md5[] = "R\0\0\0\x0c\0\0\0\x05salt", ok[] = "R\0\0\0\x08\0\0\0\0",
			  starting[] = "E\0\0\0\x37SFATAL\0C57P03\0Mthe database system is "
				       "starting up\0\0",
			  full[] = "E\0\0\0\x34SFATAL\0C53300\0Msorry, too many clients "
				   "already\0\0",
			  no_code[] = "E\0\0\0\x0fSFATAL\0Mx\0\0",
			  v2[] = "E\0\0\x9c\x40"
				 "FATAL: old\0";
	static const struct judged rows[] = {
	    {"an authentication request",
	     NULL,
	     0,
	     {BIN(md5), 0, END_CLOSE},
	     CHECK_OK,
	     "up, it asks podhealth to authenticate",
	     0},
	    {"AuthenticationOk, a byte per read",
	     NULL,
	     0,
	     {BIN(ok), 1, END_CLOSE},
	     CHECK_OK,
	     "up, it lets podhealth in",
	     0},
	    {"57P03",
	     NULL,
	     0,
	     {BIN(starting), 0, END_CLOSE},
	     CHECK_FAIL,
	     "rejecting connections: 57P03 the database system is starting up",
	     0},
	    {"53300",
	     NULL,
	     0,
	     {BIN(full), 5, END_CLOSE},
	     CHECK_OK,
	     "up, it answers 53300 sorry, too many clients already",
	     0},
	    {"an error without a SQLSTATE",
	     NULL,
	     0,
	     {BIN(no_code), 0, END_CLOSE},
	     CHECK_FAIL,
	     "an error without a SQLSTATE: x",
	     0},
	    {"a pre-3.0 error",
	     NULL,
	     0,
	     {BIN(v2), 0, END_CLOSE},
	     CHECK_FAIL,
	     "not a PostgreSQL 3.0 answer",
	     0},
	    {"half a message, then the end",
	     NULL,
	     0,
	     {md5, 7, 0, END_CLOSE},
	     CHECK_FAIL,
	     "the answer ended early",
	     0},
	    {"not PostgreSQL",
	     NULL,
	     0,
	     {"HTTP/1.1 400 Bad Request\r\n\r\n", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "not a PostgreSQL server (its first byte is 0x48)",
	     0},
	    {"closed at once",
	     NULL,
	     0,
	     {"", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "connection closed without an answer",
	     0},
	};
	static const char startup[] = "\0\3\0\0user\0postgres\0database\0app\0"
				      "application_name\0podhealth\0\0";
	judge_rows(*state, "url=postgres://localhost/app,socket=%s", ROWS(rows), BIN(startup));
	/* Let in, the client says Terminate as it leaves. */
	static const struct judged in[] = {
	    {"AuthenticationOk", NULL, 0, {BIN(ok), 0, END_CLOSE}, CHECK_OK, "up", 0}};
	judge_rows(*state, "url=postgres://localhost/app,socket=%s", ROWS(in), BIN(startup));
	struct peer *p = &((struct fixture *)*state)->peer;
	assert_int_equal(p->parting_len, 5);
	assert_memory_equal(p->parting, "X\0\0\0\4", 5);
	/* Its length, itself included, first. */
	assert_int_equal(p->request_len[0], sizeof startup - 1 + 4);
	assert_memory_equal(p->requests[0], "\0\0\0\x3f", 4);
}

static void
test_mysql_answers(void **state)
{
	/* Packets: a 3-byte length, a sequence number, the payload. */
	static const char greeting[] = "\x0f\0\0\0\x0a"
				       "10.11.6-test\0\0",
			  v9[] = "\x06\0\0\0\x09"
				 "old\0\0",
			  late[] = "\x0f\0\0\x01\x0a"
				   "10.11.6-test\0\0",
			  too_many[] = "\x17\0\0\0\xff\x10\x04Too many connections",
			  client_code[] = "\x07\0\0\x02\xff\xd3\x07oops",
			  denied[] = "\x16\0\0\x02\xff\x15\x04#28000Access denied",
			  in_ok[] = "\x07\0\0\x02\0\0\0\x02\0\0\0";
	static const struct judged rows[] = {
	    {"an error in place of the greeting",
	     BIN(too_many),
	     {"", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "error 1040 in place of its greeting: Too many connections",
	     0},
	    {"a client's error code",
	     BIN(greeting),
	     {BIN(client_code), 0, END_CLOSE},
	     CHECK_FAIL,
	     "a client's error 2003 to the handshake: oops",
	     0},
	    {"protocol 9",
	     BIN(v9),
	     {"", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "not a MySQL greeting (protocol 9)",
	     0},
	    {"a greeting out of sequence",
	     BIN(late),
	     {"", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "packets out of order",
	     0},
	    {"a greeting, then the end",
	     BIN(greeting),
	     {"", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "connection closed after the greeting of 10.11.6-test",
	     0},
	    {"access denied",
	     BIN(greeting),
	     {BIN(denied), 0, END_CLOSE},
	     CHECK_OK,
	     "up, it answers error 1045 to the handshake: Access denied",
	     0},
	    {"in, a byte per read",
	     BIN(greeting),
	     {BIN(in_ok), 1, END_CLOSE},
	     CHECK_OK,
	     "up, 10.11.6-test lets reader in",
	     0},
	    {"half an answer, then the end",
	     BIN(greeting),
	     {in_ok, 6, 0, END_CLOSE},
	     CHECK_FAIL,
	     "the answer to the handshake ended early",
	     0},
	    {"an error packet without a code",
	     BIN(greeting),
	     {"\1\0\0\x02\xff", 5, 0, END_CLOSE},
	     CHECK_FAIL,
	     "the answer to the handshake ended early",
	     0},
	};
	/* The handshake response: capabilities, max packet, charset, 23 zeros, the user. */
	static const char response[] = "\x01\x82\0\0\0\0\0\x01\x21";
	judge_rows(*state, "url=mysql://reader@localhost,socket=%s", ROWS(rows), BIN(response));
	struct peer *p = &((struct fixture *)*state)->peer;
	assert_non_null(memmem(p->requests[0], p->request_len[0], "reader\0\0", 8));
	/* Let in, the client says COM_QUIT as it leaves; refused, nothing. */
	static const struct judged in[] = {
	    {"in", BIN(greeting), {BIN(in_ok), 0, END_CLOSE}, CHECK_OK, "up", 0},
	    {"denied", BIN(greeting), {BIN(denied), 0, END_CLOSE}, CHECK_OK, "up", 0}};
	judge_rows(*state, "url=mysql://reader@localhost,socket=%s", in, 1, NULL, 0);
	assert_int_equal(p->parting_len, 5);
	assert_memory_equal(p->parting, "\1\0\0\0\1", 5);
	judge_rows(*state, "url=mysql://reader@localhost,socket=%s", in + 1, 1, NULL, 0);
	assert_int_equal(p->parting_len, 0);
}

static void
test_redis_answers(void **state)
{
	static const struct judged rows[] = {
	    {"PONG", NULL, 0, {"+PONG\r\n", 0, 0, END_CLOSE}, CHECK_OK, "PONG", 0},
	    {"PONG, a byte per read", NULL, 0, {"+PONG\r\n", 0, 1, END_CLOSE}, CHECK_OK, "PONG", 0},
	    {"LOADING",
	     NULL,
	     0,
	     {"-LOADING Redis is loading\r\n", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "(error) LOADING Redis is loading",
	     0},
	    {"NOAUTH",
	     NULL,
	     0,
	     {"-NOAUTH Authentication required.\r\n", 0, 0, END_CLOSE},
	     CHECK_OK,
	     "up, but it wants a password to say more: NOAUTH",
	     1},
	    {"not PONG", NULL, 0, {"+OK\r\n", 0, 0, END_CLOSE}, CHECK_FAIL, "not PONG: +OK", 0},
	    {"no line end",
	     NULL,
	     0,
	     {"+PONG", 0, 0, END_CLOSE},
	     CHECK_FAIL,
	     "the answer ended early",
	     0},
	    {"silent", NULL, 0, {"", 0, 0, END_SILENT}, CHECK_FAIL, "timeout after 250ms", 0},
	};
	judge_rows(*state, "url=redis://localhost,socket=%s", ROWS(rows),
		   BIN("*1\r\n$4\r\nPING\r\n"));
}

static void
test_tcp_connects(void **state)
{
	struct fixture *f = *state;
	static const struct answer a = {"", 0, 0, END_CLOSE};
	struct check_status st;
	assert_int_equal(check(f, "url=unix://%s", &a, 1, &st), CHECK_OK);
	assert_string_equal(st.reason, "connected");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_http_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tls_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_redirect_takes_a_new_connection, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_grpc_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_postgres_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mysql_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redis_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_connects, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
