#include "serve.h"

#include "check.h"
#include "config.h"
#include "duration.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "resolver.h"
#include "routes.h"
#include "httpd.h"
#include "target.h"
#include "version.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* How long in-flight requests may take to finish after SIGTERM. */
#define SHUTDOWN_GRACE_MS 1000

struct serve {
	struct loop *loop;
	struct httpd *server;
	struct io sig_io;
};

static void
on_drained(void *arg)
{
	loop_stop(arg);
}

static void
on_signal(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)events;
	struct serve *sv = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (sv->server == NULL)
			continue;
		char name[16];
		log_event(LOG_INFO, "shutting down", "signal",
			  log_signal_name((int)si.ssi_signo, name, sizeof name), NULL);
		/* Stop accepting, answer what is in flight, then exit 0. */
		httpd_drain(sv->server, SHUTDOWN_GRACE_MS, on_drained, loop);
		loop_io_del(loop, &sv->sig_io);
		return;
	}
}

static void
raise_fd_limit(void)
{
	/* Each client and each check holds a descriptor; use what the hard limit allows. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* raising to the hard limit cannot fail */
	}
}

int
serve_run(const struct config *cfg)
{
	log_setup(cfg->log_json, cfg->quiet);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	struct serve sv = {0};
	int status = 1;
	raise_fd_limit();
	int sfd = loop_signalfd(&sigs, NULL);
	sv.loop = loop_new();
	if (sfd < 0 || !sv.loop)
		fatal("cannot set up the event loop: %s (errno %d)", fmt_strerror(errno), errno);
	struct resolver *res = NULL;
	/* 511: the usual server backlog (nginx, redis); the kernel caps it at somaxconn. A
	 * probe burst beyond --max-connections waits there instead of being refused. */
	int lfd = net_listen(cfg->listen, cfg->port, 511);
	if (lfd < 0) {
		log_error("cannot listen on %s port %u: %s", cfg->listen ? cfg->listen : "*",
			  cfg->port, fmt_strerror(errno));
		goto out;
	}
	res = resolver_new(sv.loop);
	char why[512] = "out of memory";
	struct checker *ck = res ? checker_new(sv.loop, res, cfg->targets, cfg->ntargets,
					       cfg->timeout_ms, why, sizeof why)
				 : NULL;
	if (!ck) {
		close(lfd);
		log_error("%s", why);
		status = 2; /* a check names a file that cannot be used: a bad argument */
		goto out;
	}
	checker_set_freshness(ck, cfg->cache_ms, cfg->interval_ms);
	checker_set_probe_errors(ck, cfg->probe_errors_fail);
	struct routes routes = {.ck = ck, .hide_reasons = cfg->hide_reasons};
	sv.server = httpd_new(sv.loop, lfd, cfg->max_conns, routes_handle, &routes);
	if (!sv.server || loop_io_add(sv.loop, &sv.sig_io, sfd, EPOLLIN, on_signal, &sv) < 0)
		fatal("out of memory");

	char timeout[32], port[8];
	duration_format(cfg->timeout_ms, timeout, sizeof timeout);
	fmt_format(port, sizeof port, "%u", cfg->port);
	char cache[32], interval[32];
	duration_format(cfg->cache_ms, cache, sizeof cache);
	duration_format(cfg->interval_ms, interval, sizeof interval);
	/* cache= and interval= only when set: a NULL key ends the fields. */
	const char *k1 = cfg->cache_ms ? "cache" : cfg->interval_ms ? "interval" : NULL;
	const char *k2 = cfg->cache_ms && cfg->interval_ms ? "interval" : NULL;
	log_event(LOG_INFO, "listening", "version", PODHEALTH_VERSION, "address",
		  cfg->listen ? cfg->listen : "*", "port", port, "timeout", timeout, k1,
		  cfg->cache_ms ? cache : interval, k2, interval, NULL);
	for (size_t i = 0; i < cfg->ntargets; i++) {
		const struct target *t = &cfg->targets[i];
		char tmo[32] = "";
		if (t->timeout_ms)
			duration_format(t->timeout_ms, tmo, sizeof tmo);
		log_event(LOG_INFO, "check", "name", t->name, "url", t->text,
			  t->timeout_ms ? "timeout" : NULL, tmo, NULL);
	}

	if (loop_run(sv.loop) < 0)
		log_error("event loop failed: %s (errno %d)", fmt_strerror(errno), errno);
	else
		status = 0;
	log_event(LOG_INFO, "stopped", NULL);
	httpd_free(sv.server);
	checker_free(ck);
out:
	resolver_free(res);
	loop_free(sv.loop);
	close(sfd);
	return status;
}
