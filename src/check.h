/* The check engine. Each target has at most one check in flight; a request (a waiter)
 * starts the checks it needs that are not already running and joins those that are, so
 * simultaneous probes cost one upstream request per target. A failed check is data
 * (enum check_result plus a short reason), not an error. What a check does on its
 * connection is its kind's business (check_impl.h). */
#ifndef PODHEALTH_CHECK_H
#define PODHEALTH_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct resolver;
struct target;
struct checker;

/* CHECK_ERROR is never a result: a kind ends a run with it on a probe error (check_impl.h). */
enum check_result { CHECK_UNKNOWN, CHECK_OK, CHECK_FAIL, CHECK_ERROR };

#define CHECK_REASON_MAX 120

/* The outcome of a check's last completed run. */
struct check_status {
	enum check_result result;
	int64_t latency_ms;
	int64_t finished;      /* loop_now() at completion */
	int64_t finished_wall; /* CLOCK_REALTIME milliseconds at completion */
	int http_status;       /* the final response's status, 0 when there was none */
	int delivered;         /* a request of the run was written whole (the first, or a
				* redirect's) */
	int cheap; /* a failure cheap to retry: refused, or a loopback or unix-socket peer that
		   answered within 100 ms */
	char reason[CHECK_REASON_MAX];  /* "connection refused", "HTTP 503 after 2 redirects" */
	char warning[CHECK_REASON_MAX]; /* set on a pass kubelet would record a warning for */
};

#define WAITER_MAX_EXCLUDE 16

/* A request waiting for checks; embedded in its owner. Before checker_wait the owner sets
 * only (a target index, or -1 for every target) and exclude. */
struct waiter {
	struct waiter *prev, *next;
	struct checker *ck; /* non-NULL while waiting */
	size_t pending;
	uint64_t seq;
	long only;
	uint16_t exclude[WAITER_MAX_EXCLUDE];
	size_t nexclude;
	void (*done)(struct waiter *w);
	void *arg; /* the owner's, untouched by the engine */
};

/* Returns a checker for targets (borrowed; they must outlive it) with a default timeout
 * for targets that set none, or NULL with a reason in err (out of memory, or a TLS file
 * that cannot be loaded). Reads the TLS files the targets name: startup only. */
struct checker *checker_new(struct loop *loop, struct resolver *res, const struct target *targets,
			    size_t ntargets, int64_t timeout_ms, char *err, size_t errlen);
void checker_free(struct checker *ck);

/* A probe error (check_impl.h: CHECK_ERROR after an answer began) keeps the check's last
 * verdict, as kubelet's prober throws the result away (fail 0, the default), or fails it,
 * as kubelet 1.38's alpha gate ProbeErrorAsFailure counts it (fail 1). */
void checker_set_probe_errors(struct checker *ck, int fail);

/* How fresh an answer must be. cache_ms > 0: a result younger than that is used as is.
 * interval_ms > 0: checks run in the background every interval_ms, starting now, and
 * requests answer from the last result at once (waiting only for a first one). Both 0
 * (the default): every request checks afresh. */
void checker_set_freshness(struct checker *ck, int64_t cache_ms, int64_t interval_ms);

/* Whether to log each check's changes between healthy and unhealthy (on by default). */
void checker_log_changes(struct checker *ck, int on);

/* Arranges for done(w) to run once every check w wants has completed a run that was in
 * flight or started now. done may run before this returns, when the checks end at once.
 * Afterwards checker_status() holds the results. */
void checker_wait(struct checker *ck, struct waiter *w, void (*done)(struct waiter *));

/* Stops waiting; done will not run. Harmless when w is not waiting. */
void waiter_cancel(struct waiter *w);

/* Returns 1 when w wants target i. */
int waiter_wants(const struct waiter *w, size_t i);

/* Accessors; the pointers are borrowed from ck. */
size_t checker_count(const struct checker *ck);
const struct target *checker_target(const struct checker *ck, size_t i);
const struct check_status *checker_status(const struct checker *ck, size_t i);

/* Completed runs of check i by result. */
uint64_t checker_total(const struct checker *ck, size_t i, enum check_result result);

/* Returns 1 when every check w wants passed its last run. */
int checker_ok(const struct checker *ck, const struct waiter *w);

/* Appends the API server's verbose listing of w's checks to b
 * (k8s.io/apiserver/pkg/server/healthz): "[-]NAME failed: REASON" a line, "[+]NAME ok" and
 * "[+]NAME ok (WARNING)" for passing ones with CHECKER_LIST_PASSING, "[+]NAME excluded: ok"
 * for those w excludes; reasons and warnings withheld with CHECKER_LIST_HIDE_REASONS. */
#define CHECKER_LIST_PASSING      1u
#define CHECKER_LIST_HIDE_REASONS 2u
struct buf;
void checker_list(const struct checker *ck, const struct waiter *w, unsigned flags, struct buf *b);

/* Returns the index of the check named name (len bytes), or -1. */
long checker_find(const struct checker *ck, const char *name, size_t len);

#endif
