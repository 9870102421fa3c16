/* podhealth probe: the checks once, concurrently, and the API server's verbose listing of
 * what failed on stderr; the exit status is the verdict (an exec probe). */
#include "probe.h"

#include "buf.h"
#include "check.h"
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "resolver.h"

static void
on_round(struct waiter *w)
{
	loop_stop(w->arg);
}

int
probe_run(const struct config *cfg)
{
	log_setup(cfg->log_json, cfg->quiet);
	char why[512] = "out of memory";
	struct loop *loop = loop_new();
	struct resolver *res = loop ? resolver_new(loop) : NULL;
	struct checker *ck = res ? checker_new(loop, res, cfg->targets, cfg->ntargets,
					       cfg->timeout_ms, why, sizeof why)
				 : NULL;
	int status = res ? 2 : 1;
	if (!ck) {
		log_error("%s", why);
	} else {
		struct waiter w = {.only = -1, .arg = loop};
		checker_log_changes(ck, 0);
		checker_wait(ck, &w, on_round);
		loop_run(loop); /* returns at once if the round ended inside checker_wait */
		status = checker_ok(ck, &w) ? 0 : 1;
		struct buf b = {0};
		checker_list(ck, &w, cfg->verbose ? CHECKER_LIST_PASSING : 0, &b);
		if (b.len)
			fmt_write(2, b.data, b.len);
		buf_free(&b);
	}
	checker_free(ck);
	resolver_free(res);
	loop_free(loop);
	return status;
}
