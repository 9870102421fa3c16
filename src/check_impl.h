/* Internals shared by the check engine (check.c) and its kinds (check_*.c); no other
 * module includes this. The engine resolves the
 * name, connects (each address in turn), runs TLS when the target asks, keeps the one
 * deadline, and owns the one cleanup path, check_finish. A kind says what happens on the
 * connection. */
#ifndef PODHEALTH_CHECK_IMPL_H
#define PODHEALTH_CHECK_IMPL_H

#include "check.h"
#include "fmt.h"
#include "tls.h"

#include <sys/types.h>

struct h2;
struct target;

/* A local peer that answers within this is cheap to ask again (struct check_status). */
#define CHECK_QUICK_MS 100

struct check;
struct buf;

/* What a server sent first, as a judging kind (struct check_kind's judge) sees it: the
 * database kinds, whose verdict is their client's reading of a server's first answer. */
#define CHECK_ANSWER_MAX 512
struct check_answer {
	const char *p; /* what arrived: its first CHECK_ANSWER_MAX bytes */
	size_t n;      /* how many */
	size_t old;    /* how many of them the judge saw at its call before (0 at the first) */
	int end;       /* no more comes: the peer ended, or CHECK_ANSWER_MAX bytes arrived */
	const struct target *target; /* the check's (NULL: a fuzz target's call) */
	struct buf *reply; /* the judge may append bytes to send now, or with its verdict as
			    * parting words (check.c); NULL: none */
	int warn;          /* set by the judge: a pass that carries why as a warning */
	char why[CHECK_REASON_MAX]; /* the verdict's reason, set by the judge */
};

/* Sets a's reason (printf) and is result: a judge's verdict in one expression. */
#define CHECK_SAY(a, result, ...) (fmt_format((a)->why, sizeof(a)->why, __VA_ARGS__), (result))

/* The judging kinds' judges (struct check_kind's judge), for their fuzz targets. */
enum check_result check_postgres_judge(struct check_answer *a);
enum check_result check_mysql_judge(struct check_answer *a);
enum check_result check_redis_judge(struct check_answer *a);

/* A kind of check: what the engine must know of it, and the callbacks it makes on a
 * connection. The engine owns the connection and its stack (socket, TLS when the target
 * asks, HTTP/2 when the kind starts it: check_http2): it writes what the kind queues
 * (check_write), reads, and hands the kind what arrived (received, or stream for HTTP/2)
 * or that the connection ended (eof); a failed read ends the run with the reason
 * (read_failed may say otherwise). After a callback that ended the run (check_finish) or
 * moved it to a new connection (check_reconnect), the engine makes no other call for the
 * old connection: a kind never checks for stale calls. Any callback may end the run. A
 * kind judges answers; it neither frames nor writes. */
struct check_kind {
	/* The protocols offered in TLS ALPN, in order (none: NULL first); with alpn_required,
	 * a server that selects none fails, as in grpc-go 1.67+. */
	const char *alpn[TLS_ALPN_MAX + 1];
	int alpn_required;
	size_t state_size; /* of the state of one run (check_state), zeroed at each start */
	/* Once, in checker_new: prepare what every run needs (check_set_data). Returns 0, or
	 * -1 with a reason in err. May be NULL. */
	int (*prepare)(struct check *c, char *err, size_t errlen);
	/* A run starts; its state is zeroed. Returns 0, or -1 when out of memory. May be
	 * NULL. */
	int (*start)(struct check *c);
	/* The connection (and its TLS handshake) is up. */
	void (*connected)(struct check *c);
	/* n > 0 bytes arrived (only while the kind asked for EPOLLIN with check_want; a kind
	 * that never asks, tcp, leaves this and eof NULL). */
	void (*received)(struct check *c, const char *data, size_t n);
	/* With HTTP/2 (check_http2), in place of received: bytes were fed to the HTTP/2
	 * layer, which has called the handler's callbacks; ev is what h2_feed returned
	 * (H2_ERROR: check_h2 says why). Acknowledgements it queued are sent by the engine. */
	void (*stream)(struct check *c, int ev);
	/* The peer ended the stream. */
	void (*eof)(struct check *c);
	/* In place of received and eof (and state_size: the engine keeps the bytes): judges
	 * a server's first answer, again as more arrives. Returns CHECK_UNKNOWN while it
	 * needs more (never when a->end), else the verdict with a->why. Pure: a fuzz target. */
	enum check_result (*judge)(struct check_answer *a);
	/* Reading failed with reason (a connection reset, a TLS alert). May be NULL: the run
	 * fails with the reason. */
	void (*read_failed)(struct check *c, const char *reason);
	/* The run ended, however: release what the state holds. May be NULL. */
	void (*end)(struct check *c);
	/* checker_free: release what prepare made. May be NULL. */
	void (*release)(struct check *c);
};

/* The kinds, by enum target_kind (check.c's kinds[] table). */
extern const struct check_kind check_kind_tcp, check_kind_http, check_kind_grpc,
    check_kind_postgres, check_kind_mysql, check_kind_redis;

/* Makes check i of ck use kind instead of its target's (before its first run): the
 * checker's unit test plugs in a fake kind. */
void checker_set_kind(struct checker *ck, size_t i, const struct check_kind *kind);

/* What a kind may know of its check. */
const struct target *check_target(const struct check *c);
void *check_state(const struct check *c); /* the run's, state_size bytes; engine-owned */
void *check_data(const struct check *c);  /* what prepare set; the kind's */
void check_set_data(struct check *c, void *data);

/* The HTTP status of the final response, for the status (0: none). */
void check_set_http_status(struct check *c, int status);

/* Queues len bytes for the connection: the engine sends them through the stack as the
 * socket takes them, in as few sends as they fit, and marks the run's request delivered
 * (struct check_status) once all it was given has gone. Returns 0, or -1 when out of
 * memory, and then the run has ended. */
int check_write(struct check *c, const void *buf, size_t len);

/* Puts HTTP/2 on the connection (RFC 9113, h2.c): the preface, SETTINGS, a HEADERS frame
 * of block and, when body is not NULL, one DATA frame ending the stream are queued; what
 * arrives from then on is fed to it, handler's callbacks see the answer (arg: the
 * kind's), and the kind's stream callback what each read came to. The layer lives as
 * long as the connection. Returns 0, or -1 when out of memory, and then the run has
 * ended. */
struct h2_handler;
int check_http2(struct check *c, const struct h2_handler *handler, const void *block,
		size_t block_len, const void *body, size_t body_len);

/* Whether the connection's TLS handshake selected ALPN h2: HTTP/2 is what it speaks. */
int check_tls_h2(const struct check *c);

/* The connection's HTTP/2 layer (h2_error, h2_established), or NULL. */
const struct h2 *check_h2(const struct check *c);

/* Says whether the kind reads: EPOLLIN or 0; the engine applies it once the kind's
 * callback returns (one epoll_ctl at most per callback), with EPOLLOUT while it has bytes
 * to send. */
void check_want(struct check *c, uint32_t events);

/* Closes the connection and sends the run's request again on a new one to the same
 * address, port and TLS: a request the server refused unprocessed. */
void check_retry(struct check *c);

/* Closes the connection and makes a new one to the same addresses on port, with or
 * without TLS (tls_name: the server name or address), within the run's deadline: a
 * redirect. */
void check_reconnect(struct check *c, uint16_t port, int use_tls, const char *tls_name);

/* Ends c's run with a result and a reason: the one cleanup path of every kind.
 * CHECK_ERROR: an error, which fails the run before check_answered and after it is a probe
 * error, which kubelet throws away: the check keeps its last verdict (a failure before
 * any), with this reason noted. */
void check_finish(struct check *c, enum check_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The final answer's head was read (HTTP): what ends the run from now on without a
 * verdict on that answer (reading its body failed, the deadline) is a probe error. */
void check_answered(struct check *c);

/* Records a warning for the run in flight: it passes, but kubelet would note something. */
void check_warn(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The run's timeout in milliseconds. */
int64_t check_timeout(const struct check *c);

/* Writes the first request of HTTP check t into out (out->failed when out of memory).
 * Pure. */
void check_http_first_request(const struct target *t, struct buf *out);

/* Reads a gRPC health answer's DATA: one uncompressed length-prefixed
 * HealthCheckResponse. Returns NULL with *status its ServingStatus, or why it is not one.
 * Pure (a fuzz target). */
const char *check_grpc_answer(const void *data, size_t n, uint64_t *status);

#endif
