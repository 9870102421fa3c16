/* The check engine. Each target has at most one check in flight; a request (a waiter)
 * starts the checks it needs that are not already running and joins those that are, so
 * simultaneous probes cost one upstream request per target. A failed check is data
 * (enum check_result plus a short reason), not an error. */
#ifndef PODHEALTH_CHECK_H
#define PODHEALTH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "check_http.h"
#include "loop.h"
#include "net.h"

struct resolver;
struct target;
struct checker;

enum check_result { CHECK_UNKNOWN, CHECK_OK, CHECK_FAIL };

struct check_status {
	enum check_result result;
	int64_t latency_ms;
	int64_t finished;      /* loop_now() at completion */
	int64_t finished_wall; /* CLOCK_REALTIME milliseconds at completion */
	int http_status;       /* the response's status, 0 when there was none */
	int delivered;         /* the whole request was written */
	char reason[96];       /* "connection refused", "timeout after 3s", "HTTP 503" */
};

/* One target's check, for the life of the checker. The fields belong to the engine. */
struct check {
	struct checker *ck;
	const struct target *target;
	size_t index;
	int running;
	uint64_t seq; /* start number of the run in flight */
	struct io io;
	struct timer timer;
	struct resolve_req *dns;
	struct net_addrs addrs;
	size_t next_addr;
	size_t sent;
	int64_t started;
	struct http_resp resp;
	struct check_status last; /* the last completed run */
	uint64_t ok_total, fail_total;
	signed char healthy; /* -1 before the first run; for logging changes */
};

#define WAITER_MAX_EXCLUDE 16

/* A request waiting for checks; embedded in its owner (a client connection). Before
 * checker_wait the owner sets one (a target index, or -1 for all) and exclude. */
struct waiter {
	struct waiter *prev, *next;
	struct checker *ck; /* non-NULL while waiting */
	size_t pending;
	uint64_t seq;
	long one;
	uint16_t exclude[WAITER_MAX_EXCLUDE];
	size_t nexclude;
	void (*done)(struct waiter *w);
	void *arg; /* the owner's, untouched by the engine */
};

/* Returns a checker for targets (borrowed; they must outlive it) with a default
 * timeout for targets that set none, or NULL when out of memory. */
struct checker *checker_new(struct loop *loop, struct resolver *res, const struct target *targets,
			    size_t ntargets, int64_t timeout_ms);
void checker_free(struct checker *ck);

/* How fresh an answer must be. cache_ms > 0: a result younger than that is used as is.
 * interval_ms > 0: checks run in the background every interval_ms, starting now, and
 * requests answer from the last result at once (waiting only for a first one). Both 0
 * (the default): every request checks afresh. Returns 0, or -1 when out of memory. */
int checker_set_freshness(struct checker *ck, int64_t cache_ms, int64_t interval_ms);

/* Whether to log each check's changes between healthy and unhealthy (on by default). */
void checker_log_changes(struct checker *ck, int on);

/* Arranges for done(w) to run once every check w wants has completed a run that was in
 * flight or started now. done may run before this returns, when the checks end at once.
 * Afterwards checker_last() holds the results. Returns 0, or -1 when a check could not
 * start for lack of memory. */
int checker_wait(struct checker *ck, struct waiter *w, void (*done)(struct waiter *));

/* Stops waiting; done will not run. Harmless when w is not waiting. */
void waiter_cancel(struct waiter *w);

/* Returns 1 when w wants target i. */
int waiter_wants(const struct waiter *w, size_t i);

/* Accessors. The pointers are borrowed from ck. */
size_t checker_count(const struct checker *ck);
const struct check *checker_check(const struct checker *ck, size_t i);

/* Returns 1 when every check w wants passed its last run. */
int checker_ok(const struct checker *ck, const struct waiter *w);

/* Returns the index of the check named name (len bytes), or -1. */
long checker_find(const struct checker *ck, const char *name, size_t len);

/* Ends check c's run with a result and a reason: the one cleanup path of every kind. */
void check_finish(struct check *c, enum check_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The loop a check runs on. */
struct loop *check_loop(const struct check *c);

/* Called when a check's connection is established (check_tcp.c). */
void check_tcp_connected(struct check *c);

#endif
