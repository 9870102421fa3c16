#include "routes.h"

#include "buf.h"
#include "check.h"
#include "server.h"
#include "target.h"

#include <llhttp.h>
#include <string.h>

enum route
routes_match(const char *path, size_t len)
{
	if (len == 5 && memcmp(path, "/self", 5) == 0)
		return ROUTE_SELF;
	if (len == 4 && memcmp(path, "/all", 4) == 0)
		return ROUTE_ALL;
	return ROUTE_NOT_FOUND;
}

int
routes_method_allowed(int method)
{
	return method == HTTP_GET || method == HTTP_HEAD;
}

static void
respond_text(struct conn *c, int status, const char *text)
{
	server_respond(c, status, "", text, strlen(text));
}

static void
on_round(struct waiter *w, const struct round *r)
{
	struct conn *c = server_waiter_conn(w);
	if (round_ok(r)) {
		respond_text(c, 200, "ok\n");
		return;
	}
	/* One line per failing endpoint, so `kubectl describe pod` shows why. */
	struct buf b = {0};
	for (size_t i = 0; i < round_count(r); i++) {
		const struct check_status *st = round_status(r, i);
		if (st->result != CHECK_OK)
			buf_printf(&b, "%s: %s\n", round_target(r, i)->text, st->reason);
	}
	if (b.failed)
		respond_text(c, 503, "unhealthy (out of memory listing why)\n");
	else
		server_respond(c, 503, "", b.data, b.len);
	buf_free(&b);
}

void
routes_handle(void *ctx, struct conn *c, const struct request *req)
{
	struct checker *ck = ctx;
	enum route route = routes_match(req->path, req->path_len);
	if (route == ROUTE_NOT_FOUND) {
		respond_text(c, 404, "not found\n");
		return;
	}
	if (!routes_method_allowed(req->method)) {
		server_respond(c, 405, "Allow: GET, HEAD\r\n", "method not allowed\n", 19);
		return;
	}
	if (route == ROUTE_SELF) {
		/* Liveness of podhealth itself: never waits on a check. */
		respond_text(c, 200, "ok\n");
		return;
	}
	if (checker_wait(ck, server_conn_waiter(c), on_round) < 0)
		respond_text(c, 503, "unhealthy: out of memory\n");
}
