/* podhealth wait: each check on its own schedule until all pass, then the command (or an
 * exit), then the on-exit calls. */
#include "wait.h"

#include "buf.h"
#include "check.h"
#include "config.h"
#include "duration.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "mesh.h"
#include "net.h"
#include "resolver.h"
#include "supervise.h"
#include "target.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* A progress line at most this often while checks keep failing. */
#define PROGRESS_EVERY_MS 3000
/* On-exit calls that surely did not reach the server are tried this often in all. */
#define CALL_ATTEMPTS 3
#define CALL_RETRY_MS 250

struct call {
	struct waiter w;
	struct timer retry;
	int attempts;
	struct waitrun *run;
};

/* One check while waiting, on its own schedule: a cheap failure (refused, or a local peer
 * that answered at once) is retried after --fast-interval, any other after a pause that
 * doubles from --interval to --max-interval, so a remote dependency is never asked more
 * often than that; a pass is confirmed again every --max-interval while others fail. */
struct watch {
	struct waiter w;
	struct timer timer;
	struct waitrun *run;
	int64_t delay; /* the next pause after a failure that is not cheap */
	int passed;    /* its last run passed */
	unsigned runs;
};

struct waitrun {
	const struct config *cfg;
	struct loop *loop;
	struct resolver *res;
	struct target *targets, *on_exit; /* after the sidecar modes: shallow copies of cfg's */
	size_t ntargets, n_on_exit;
	struct checker *ck, *calls_ck;
	struct watch *watches;
	size_t passing;
	struct timer deadline_timer;
	struct io sig_io;
	sigset_t orig;
	enum { WAITING, RUNNING, CALLING } phase;
	int64_t start, last_progress;
	pid_t child;
	int status;
	struct call *calls;
	size_t calls_left; /* of the round being made */
	int mesh_round;    /* the meshes' calls have started */
};

static void
fmt_elapsed(const struct waitrun *r, char *out, size_t len)
{
	int64_t ms = loop_now() - r->start;
	duration_format(ms > 0 ? ms : 1, out, len);
}

/* Formats "name: reason; name: reason" for the failing checks of ck into b. A check
 * whose first run is still under way has no reason yet. */
static void
failing_list(const struct checker *ck, struct buf *b)
{
	for (size_t i = 0; i < checker_count(ck); i++) {
		const struct check_status *st = checker_status(ck, i);
		if (st->result == CHECK_OK)
			continue;
		buf_printf(b, "%s%s: %s", b->len ? "; " : "", checker_target(ck, i)->name,
			   st->result == CHECK_UNKNOWN ? "no answer yet" : st->reason);
	}
}

/* --- on-exit calls --- */

static void call_start(struct call *k);
static size_t start_round(struct waitrun *r, int mesh);

static void
on_call_retry(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	call_start(arg);
}

static void
on_call(struct waiter *w)
{
	struct call *k = w->arg;
	struct waitrun *r = k->run;
	const struct check_status *st = checker_status(r->calls_ck, (size_t)w->only);
	const char *url = checker_target(r->calls_ck, (size_t)w->only)->text;
	if (st->result == CHECK_OK) {
		log_event(LOG_INFO, "on-exit call done", "url", url, "result", st->reason, NULL);
	} else if ((!st->delivered || st->http_status == 503) && k->attempts < CALL_ATTEMPTS) {
		/* Only what surely was not acted on is sent again: the call happens once. */
		loop_timer_set(r->loop, &k->retry, loop_after(CALL_RETRY_MS), on_call_retry, k);
		return;
	} else {
		log_event(LOG_WARN, "on-exit call failed", "url", url, "reason", st->reason, NULL);
	}
	if (--r->calls_left == 0 && (r->mesh_round || start_round(r, 1) == 0))
		loop_stop(r->loop); /* the last call is done: exit */
}

static void
call_start(struct call *k)
{
	k->attempts++;
	checker_wait(k->run->calls_ck, &k->w, on_call);
}

/* Whether on-exit call i stops a mesh (a sidecar that carries the pod's traffic). */
static int
stops_a_mesh(const struct waitrun *r, size_t i)
{
	return meshes[r->on_exit[i].mesh].network;
}

/* Makes one round of on-exit calls at once: the others' (mesh 0: the user's, a database
 * proxy's, an agent's), or the meshes' (1). Returns how many it started. */
static size_t
start_round(struct waitrun *r, int mesh)
{
	size_t n = 0;
	r->mesh_round = mesh;
	for (size_t i = 0; i < r->n_on_exit; i++)
		n += stops_a_mesh(r, i) == mesh;
	r->calls_left = n; /* before any starts: a call may end at once */
	for (size_t i = 0; n && i < r->n_on_exit; i++) {
		struct call *k = &r->calls[i];
		if (stops_a_mesh(r, i) != mesh)
			continue;
		k->run = r;
		k->w.only = (long)i;
		k->w.arg = k;
		call_start(k);
	}
	return n;
}

static void stop_watching(struct waitrun *r);

/* Makes the on-exit calls: the user's (--on-exit) and the other sidecars' (a database
 * proxy, a secrets agent, Dapr) all at once, then, once they are done, the meshes'
 * (Istio, Linkerd, Consul), so that those sidecars' shutdown does not lose the mesh under
 * it. The loop stops when all are done. */
static void
start_calls(struct waitrun *r)
{
	const struct config *cfg = r->cfg;
	r->phase = CALLING;
	stop_watching(r);
	loop_timer_cancel(r->loop, &r->deadline_timer);
	if (r->n_on_exit && cfg->on_exit_success_only && r->status != 0) {
		/* A restart of the container (restartPolicy OnFailure) needs the proxy. */
		char s[16];
		fmt_format(s, sizeof s, "%d", r->status);
		log_event(LOG_INFO,
			  "on-exit calls skipped: exit code not 0 (--on-exit-when success)",
			  "status", s, NULL);
		r->n_on_exit = 0;
	}
	if (r->n_on_exit == 0) {
		loop_stop(r->loop);
		return;
	}
	char why[256];
	r->calls_ck = checker_new(r->loop, r->res, r->on_exit, r->n_on_exit, cfg->timeout_ms, why,
				  sizeof why);
	r->calls = calloc(r->n_on_exit, sizeof *r->calls);
	if (!r->calls_ck || !r->calls) {
		log_event(LOG_ERROR, "out of memory: on-exit calls not made", NULL);
		loop_stop(r->loop);
		return;
	}
	checker_log_changes(r->calls_ck, 0);
	if (start_round(r, 0) == 0 && start_round(r, 1) == 0)
		loop_stop(r->loop);
}

/* --- the command --- */

static void
run_command(struct waitrun *r)
{
	const struct config *cfg = r->cfg;
	if (!cfg->cmd) {
		r->status = 0; /* an init container or postStart hook: ready is all */
		loop_stop(r->loop);
		return;
	}
	log_event(LOG_INFO, "running", "cmd", cfg->cmd[0], NULL);
	if (r->n_on_exit == 0) {
		/* Nothing to do afterwards: become the command. */
		r->status = supervise_exec(cfg->cmd, &r->orig);
		loop_stop(r->loop);
		return;
	}
	r->child = supervise_spawn(cfg->cmd, &r->orig, &r->status);
	if (r->child < 0) {
		start_calls(r);
		return;
	}
	r->phase = RUNNING;
}

/* --- waiting: one schedule per check --- */

static void watch_run(struct watch *x);

static void
on_watch_timer(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	watch_run(arg);
}

static void
stop_watching(struct waitrun *r)
{
	for (size_t i = 0; r->watches && i < r->ntargets; i++) {
		waiter_cancel(&r->watches[i].w);
		loop_timer_cancel(r->loop, &r->watches[i].timer);
	}
}

static unsigned
attempts(const struct waitrun *r)
{
	unsigned most = 0;
	for (size_t i = 0; i < r->ntargets; i++)
		if (r->watches[i].runs > most)
			most = r->watches[i].runs;
	return most;
}

static void
progress(struct waitrun *r, int ready)
{
	char attempt[16], elapsed[32];
	fmt_format(attempt, sizeof attempt, "%u", attempts(r));
	fmt_elapsed(r, elapsed, sizeof elapsed);
	if (ready) {
		log_event(LOG_INFO, "ready", "attempts", attempt, "elapsed", elapsed, NULL);
		return;
	}
	struct buf b = {0};
	failing_list(r->ck, &b);
	log_event(LOG_INFO, "waiting", "for", b.data ? b.data : "", "attempt", attempt, "elapsed",
		  elapsed, NULL);
	buf_free(&b);
	r->last_progress = loop_now();
}

static void
on_watch(struct waiter *w)
{
	struct watch *x = w->arg;
	struct waitrun *r = x->run;
	const struct config *cfg = r->cfg;
	const struct check_status *st = checker_status(r->ck, (size_t)w->only);
	int passed = st->result == CHECK_OK;
	x->runs++;
	r->passing += (size_t)passed - (size_t)x->passed;
	x->passed = passed;
	if (r->passing == r->ntargets) {
		loop_timer_cancel(r->loop, &r->deadline_timer);
		stop_watching(r);
		progress(r, 1);
		run_command(r);
		return;
	}
	int64_t pause = cfg->max_interval_ms; /* a pass: confirmed again later */
	if (!passed && st->cheap) {
		pause = cfg->fast_interval_ms;
	} else if (!passed) {
		pause = x->delay;
		x->delay =
		    x->delay * 2 > cfg->max_interval_ms ? cfg->max_interval_ms : x->delay * 2;
	}
	if (!passed &&
	    (r->last_progress == 0 || loop_now() - r->last_progress >= PROGRESS_EVERY_MS))
		progress(r, 0);
	loop_timer_set(r->loop, &x->timer, loop_after(pause), on_watch_timer, x);
}

static void
watch_run(struct watch *x)
{
	checker_wait(x->run->ck, &x->w, on_watch);
}

static void
on_deadline(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	struct waitrun *r = arg;
	char deadline[32];
	struct buf b = {0};
	failing_list(r->ck, &b);
	duration_format(r->cfg->deadline_ms, deadline, sizeof deadline);
	if (r->cfg->on_deadline_run) {
		log_event(LOG_WARN,
			  "deadline passed, starting the command anyway (--on-deadline run)",
			  "deadline", deadline, "for", b.data ? b.data : "", NULL);
		buf_free(&b);
		stop_watching(r);
		run_command(r);
		return;
	}
	log_event(LOG_ERROR, "deadline passed, not starting the command", "deadline", deadline,
		  "for", b.data ? b.data : "", NULL);
	buf_free(&b);
	r->status = r->cfg->deadline_exit_code;
	start_calls(r);
}

static void
on_signal(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)events;
	struct waitrun *r = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD) {
			int st, killer;
			if (supervise_reap(r->child, &st, &killer) && r->phase == RUNNING) {
				char s[16], name[16];
				fmt_format(s, sizeof s, "%d", st);
				if (killer)
					log_event(LOG_INFO, "command killed", "signal",
						  log_signal_name(killer, name, sizeof name),
						  "status", s, NULL);
				else
					log_event(LOG_INFO, "command exited", "status", s, NULL);
				r->status = st;
				start_calls(r);
			}
			continue;
		}
		if (r->phase == RUNNING) {
			/* Every signal but SIGCHLD goes to the command; ESRCH, the only failure
			 * for our own child, means it has just exited: the reaping follows. */
			(void)kill(r->child, sig);
			continue;
		}
		if (r->phase == WAITING &&
		    (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT)) {
			char name[16];
			log_event(LOG_WARN, "stopped while waiting", "signal",
				  log_signal_name(sig, name, sizeof name), NULL);
			r->status = 128 + sig;
			start_calls(r);
		}
	}
}

/* Logs, once, what this run will do: the checks it waits for, the calls it makes after,
 * and the command. */
static void
log_plan(const struct waitrun *r)
{
	const struct config *cfg = r->cfg;
	struct buf checks = {0}, calls = {0};
	for (size_t i = 0; i < r->ntargets; i++)
		buf_printf(&checks, "%s%s", i ? " " : "", r->targets[i].name);
	for (size_t i = 0; i < r->n_on_exit; i++)
		buf_printf(&calls, "%s%s %s", i ? " " : "", r->on_exit[i].method,
			   r->on_exit[i].text);
	log_event(LOG_INFO, "plan", "checks", checks.len ? checks.data : "none", "on-exit",
		  calls.len ? calls.data : "none", "on-exit-when",
		  cfg->on_exit_success_only ? "success" : "always", "on-deadline",
		  cfg->on_deadline_run ? "run" : "fail", "command", cfg->cmd ? cfg->cmd[0] : "none",
		  NULL);
	buf_free(&checks);
	buf_free(&calls);
}

/* Returns 0, 1 (the system failed us: logged) or 2 (a check names a file that cannot be
 * used: logged). */
static int
setup(struct waitrun *r, const struct config *cfg)
{
	r->cfg = cfg;
	log_setup(cfg->log_json, cfg->quiet);
	char why[512] = "out of memory";
	r->loop = loop_new();
	r->res = r->loop ? resolver_new(r->loop) : NULL;
	if (mesh_plan(cfg, &r->targets, &r->ntargets, &r->on_exit, &r->n_on_exit) < 0)
		return 1;
	log_plan(r);
	r->ck = r->res ? checker_new(r->loop, r->res, r->targets, r->ntargets, cfg->timeout_ms, why,
				     sizeof why)
		       : NULL;
	if (!r->ck) {
		log_error("%s", why);
		return r->res ? 2 : 1;
	}
	checker_log_changes(r->ck, 0);
	checker_set_probe_errors(r->ck, cfg->probe_errors_fail);
	sigset_t set;
	supervise_signals(&set);
	int sfd = loop_signalfd(&set, &r->orig);
	if (sfd < 0 || loop_io_add(r->loop, &r->sig_io, sfd, EPOLLIN, on_signal, r) < 0) {
		log_event(LOG_ERROR, "cannot set up", "reason", fmt_strerror(errno), NULL);
		return 1;
	}
	return 0;
}

static void
teardown(struct waitrun *r)
{
	checker_free(r->ck);
	checker_free(r->calls_ck);
	free(r->calls);
	free(r->watches);
	free(r->targets); /* shallow copies: the strings are cfg's */
	free(r->on_exit);
	resolver_free(r->res);
	if (r->loop)
		loop_io_close(r->loop, &r->sig_io);
	loop_free(r->loop);
}

int
wait_run(const struct config *cfg)
{
	struct waitrun r = {.sig_io.fd = -1, .status = 1};
	int rc = setup(&r, cfg);
	if (rc) {
		teardown(&r);
		return rc;
	}
	r.start = loop_now();
	r.watches = calloc(r.ntargets + 1, sizeof *r.watches);
	if (!r.watches) {
		log_error("out of memory");
		teardown(&r);
		return 1;
	}
	if (cfg->deadline_ms)
		loop_timer_set(r.loop, &r.deadline_timer, loop_after(cfg->deadline_ms), on_deadline,
			       &r);
	if (r.ntargets == 0) {
		run_command(&r); /* nothing to wait for: every check's sidecar is absent */
	} else {
		for (size_t i = 0; i < r.ntargets; i++) {
			struct watch *x = &r.watches[i];
			x->run = &r;
			x->delay = cfg->interval_ms;
			x->w.only = (long)i;
			x->w.arg = x;
			watch_run(x);
		}
	}
	loop_run(r.loop);
	teardown(&r);
	return r.status;
}
