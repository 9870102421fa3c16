/* Internals shared by the check engine (check.c) and its kinds (check_tcp.c,
 * check_http.c, check_grpc.c); no other module includes this. The engine resolves the
 * name, connects (each address in turn), runs TLS when the target asks, keeps the one
 * deadline, and owns the one cleanup path, check_finish. A kind says what happens on the
 * connection. */
#ifndef PODHEALTH_CHECK_IMPL_H
#define PODHEALTH_CHECK_IMPL_H

#include "check.h"
#include "loop.h"
#include "net.h"
#include "resolver.h"

struct tls_config;
struct tls_conn;

/* A local peer that answers within this is cheap to ask again (struct check_status). */
#define CHECK_QUICK_MS 100

struct check;

/* A kind of check: callbacks the engine makes on a connection. Any may end the run with
 * check_finish. */
struct check_kind {
	/* Once, in checker_new: prepare what every run needs (kdata). Returns 0, or -1 with
	 * a reason in err. May be NULL. */
	int (*prepare)(struct check *c, char *err, size_t errlen);
	/* A run starts: allocate its state (kstate). Returns 0, or -1 when out of memory.
	 * May be NULL. */
	int (*start)(struct check *c);
	/* The connection (and its TLS handshake) is up. */
	void (*connected)(struct check *c);
	/* Bytes can be read with check_recv (or the peer closed: check_recv says 0). */
	void (*readable)(struct check *c);
	/* check_send can take bytes (only while the kind asked for it with check_want). */
	void (*writable)(struct check *c);
	/* The run ended, however: release kstate. May be NULL. */
	void (*end)(struct check *c);
	/* checker_free: release kdata. May be NULL. */
	void (*release)(struct check *c);
};

extern const struct check_kind check_kind_tcp, check_kind_http, check_kind_grpc;

/* One target's check, for the life of the checker. */
struct check {
	struct checker *ck;
	const struct target *target;
	const struct check_kind *kind;
	size_t index;
	int running;
	uint64_t seq;  /* start number of the run in flight */
	unsigned conn; /* connection number within the run: stale callbacks check it */
	struct io io;
	struct timer timer;
	struct resolve_req *dns;
	struct net_addrs addrs;
	size_t next_addr;
	uint16_t port;              /* of the connection being made */
	int use_tls;                /* this connection runs TLS */
	const char *tls_name;       /* its server name (SNI), or NULL */
	struct tls_config *tls_cfg; /* the target's TLS settings, or NULL; owned */
	struct tls_conn *tls;
	int connected;
	int local;     /* the connection is to loopback or a unix socket */
	int refused;   /* the last connection attempt was refused outright */
	int timed_out; /* the run ended at its deadline */
	uint32_t want; /* EPOLLIN / EPOLLOUT the kind waits for */
	int64_t started;
	void *kdata;              /* the kind's, for the life of the checker */
	void *kstate;             /* the kind's, for one run */
	struct check_status now;  /* the run in flight: kinds set http_status, delivered */
	struct check_status last; /* the last completed run */
	uint64_t totals[3];       /* completed runs by enum check_result */
	signed char healthy;      /* -1 before the first run; for logging changes */
	signed char warned;
};

/* Reads what the connection has: > 0 bytes, 0 at the end of the stream, -1 with errno
 * (EAGAIN: nothing now; the kind is called again when there is). */
ssize_t check_recv(struct check *c, void *buf, size_t len);

/* Writes what the connection takes now: >= 0 bytes (0: nothing now, wait for writable
 * when asked for with check_want), -1 with errno. */
ssize_t check_send(struct check *c, const void *buf, size_t len);

/* A short reason for errno value err on c's connection (TLS errors included). */
const char *check_strerror(struct check *c, int err);

/* Says what the kind waits for: EPOLLIN, EPOLLOUT, or both; the engine applies it once the
 * kind's callback returns (one epoll_ctl at most per callback). */
void check_want(struct check *c, uint32_t events);

/* Closes the connection and makes a new one to the same addresses on port, with or
 * without TLS (tls_name: the server name), within the run's deadline: a redirect. */
void check_reconnect(struct check *c, uint16_t port, int use_tls, const char *tls_name);

/* Ends c's run with a result and a reason: the one cleanup path of every kind. */
void check_finish(struct check *c, enum check_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a warning for the run in flight: it passes, but kubelet would note something. */
void check_warn(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The run's timeout in milliseconds. */
int64_t check_timeout(const struct check *c);

/* Reads a gRPC health answer's DATA: one uncompressed length-prefixed
 * HealthCheckResponse. Returns NULL with *status its ServingStatus, or why it is not one.
 * Pure (a fuzz target). */
const char *check_grpc_answer(const void *data, size_t n, uint64_t *status);

#endif
