/* The check engine: rounds of concurrent checks, one per target, sharing one deadline
 * each. A failed check is data (enum check_result plus a short reason), not an error. */
#ifndef PODHEALTH_CHECK_H
#define PODHEALTH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "net.h"
#include "check_http.h"

struct resolver;
struct target;
struct round;

enum check_result { CHECK_PENDING, CHECK_OK, CHECK_FAIL };

struct check_status {
	enum check_result result;
	int64_t latency_ms;
	char reason[96]; /* "connection refused", "timeout after 3s", "HTTP 503" */
};

/* One target being checked within a round. The fields belong to the engine. */
struct check {
	struct round *round;
	const struct target *target;
	struct io io;
	struct timer timer;
	struct resolve_req *dns;
	struct net_addrs addrs;
	size_t next_addr;
	size_t sent;
	int64_t started;
	struct http_resp resp;
	struct check_status st;
};

/* Someone waiting for a round's outcome; embedded in its owner (a client connection). */
struct waiter {
	struct waiter *prev, *next;
	struct round *round; /* non-NULL while waiting */
	void (*done)(struct waiter *w, const struct round *r);
};

struct checker;

/* Returns a checker for targets (borrowed; must outlive it), or NULL when out of memory. */
struct checker *checker_new(struct loop *loop, struct resolver *res, const struct target *targets,
			    size_t ntargets, int64_t timeout_ms);
void checker_free(struct checker *ck);

/* Arranges for done(w, round) to run once with the outcome of a round: the round already
 * in flight if there is one (so simultaneous probes cost one request per target), else a
 * new one. done may run before this returns, when every check ends at once. Returns 0, or
 * -1 when out of memory. */
int checker_wait(struct checker *ck, struct waiter *w,
		 void (*done)(struct waiter *, const struct round *));

/* Stops waiting; done will not run. Harmless when w is not waiting. */
void waiter_cancel(struct waiter *w);

/* Returns the number of checks in r, and the status of check i (borrowed from r, valid
 * during the done callback). */
size_t round_count(const struct round *r);
const struct check_status *round_status(const struct round *r, size_t i);
const struct target *round_target(const struct round *r, size_t i);

/* Returns 1 when every check in r succeeded. */
int round_ok(const struct round *r);

/* Ends check c with a result and a reason; the one cleanup path of every check kind. */
void check_finish(struct check *c, enum check_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The loop a check runs on. */
struct loop *check_loop(const struct check *c);

#endif
