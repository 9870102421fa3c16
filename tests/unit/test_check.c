/* check.c: the engine with a fake kind that ends its runs when the test says: one run
 * serves every waiter that joins it (coalescing), a run started before a waiter arrived
 * still answers it, a cancelled waiter is never called, a cached result answers at once,
 * and the listing reads the last results. The kinds themselves meet real peers in
 * tests/e2e. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "check_impl.h"
#include "loop.h"
#include "resolver.h"
#include "target.h"
#include "unix_listener.h"

#define NCHECKS 2

/* The fake kind: a run starts, connects (a unix socket nobody accepts on), and waits. */
static struct check *running[NCHECKS];
static int starts[NCHECKS];

static int
fake_start(struct check *c)
{
	starts[check_target(c)->port]++;
	return 0;
}

static void
fake_connected(struct check *c)
{
	running[check_target(c)->port] = c;
}

static void
fake_end(struct check *c)
{
	running[check_target(c)->port] = NULL;
}

static const struct check_kind fake = {
    .start = fake_start, .connected = fake_connected, .end = fake_end};

struct fixture {
	char dir[64], path[128];
	int listener;
	struct loop *loop;
	struct resolver *res;
	struct target targets[NCHECKS];
	struct checker *ck;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/podhealth-test-check.XXXXXX");
	f->listener = unix_listener(f->dir, f->path, sizeof f->path, 64);
	f->loop = loop_new();
	f->res = f->loop ? resolver_new(f->loop) : NULL;
	assert_non_null(f->res);
	char err[256], url[160];
	for (int i = 0; i < NCHECKS; i++) {
		snprintf(url, sizeof url, "c%d=unix://%s", i, f->path);
		assert_int_equal(target_parse(url, &f->targets[i], err, sizeof err), 0);
		f->targets[i].port = (uint16_t)i; /* unused by unix://: the fake kind's index */
	}
	f->ck = checker_new(f->loop, f->res, f->targets, NCHECKS, 1000, err, sizeof err);
	assert_non_null(f->ck);
	checker_log_changes(f->ck, 0);
	for (int i = 0; i < NCHECKS; i++) {
		checker_set_kind(f->ck, (size_t)i, &fake);
		running[i] = NULL;
		starts[i] = 0;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	checker_free(f->ck);
	for (int i = 0; i < NCHECKS; i++)
		target_free(&f->targets[i]);
	resolver_free(f->res);
	loop_free(f->loop);
	close(f->listener);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs the loop until check i's run is connected (a unix connect usually completes at
 * once; the loop is for when it does not). */
static void
until_connected(struct fixture *f, int i)
{
	for (int n = 0; !running[i] && n < 1000; n++)
		assert_int_equal(loop_run_once(f->loop, 100), 0);
	assert_non_null(running[i]);
}

static int calls[4];

static void
on_done(struct waiter *w)
{
	calls[(intptr_t)w->arg]++;
}

static void
test_one_run_serves_every_waiter(void **state)
{
	struct fixture *f = *state;
	memset(calls, 0, sizeof calls);
	struct waiter a = {.only = -1, .arg = (void *)0}, b = {.only = -1, .arg = (void *)1};
	checker_wait(f->ck, &a, on_done);
	until_connected(f, 0);
	until_connected(f, 1);
	checker_wait(f->ck, &b, on_done); /* joins the runs in flight */
	assert_int_equal(starts[0], 1);
	assert_int_equal(starts[1], 1);
	check_finish(running[0], CHECK_OK, "fine");
	assert_int_equal(calls[0] + calls[1], 0); /* check 1 still runs */
	check_finish(running[1], CHECK_FAIL, "HTTP %d", 503);
	assert_int_equal(calls[0], 1);
	assert_int_equal(calls[1], 1);
	assert_int_equal(starts[0], 1); /* one run each for both waiters */
	assert_false(checker_ok(f->ck, &a));
	assert_int_equal(checker_status(f->ck, 0)->result, CHECK_OK);
	assert_string_equal(checker_status(f->ck, 1)->reason, "HTTP 503");
	assert_int_equal(checker_total(f->ck, 1, CHECK_FAIL), 1);
	struct buf b_list = {0};
	checker_list(f->ck, &a, CHECKER_LIST_PASSING, &b_list);
	assert_string_equal(b_list.data, "[+]c0 ok\n[-]c1 failed: HTTP 503\n");
	buf_free(&b_list);
	checker_list(f->ck, &a, CHECKER_LIST_HIDE_REASONS, &b_list);
	assert_string_equal(b_list.data, "[-]c1 failed: reason withheld\n");
	buf_free(&b_list);
}

static void
test_a_new_request_after_a_run_starts_another(void **state)
{
	struct fixture *f = *state;
	memset(calls, 0, sizeof calls);
	struct waiter a = {.only = 0, .arg = (void *)0}, b = {.only = 0, .arg = (void *)1};
	checker_wait(f->ck, &a, on_done);
	until_connected(f, 0);
	check_finish(running[0], CHECK_OK, "fine");
	assert_int_equal(calls[0], 1);
	checker_wait(f->ck, &b, on_done); /* no cache: checks afresh */
	until_connected(f, 0);
	assert_int_equal(starts[0], 2);
	assert_int_equal(starts[1], 0); /* only= wanted check 0 alone */
	check_finish(running[0], CHECK_OK, "fine");
	assert_int_equal(calls[1], 1);
}

static void
test_a_cancelled_waiter_is_never_called(void **state)
{
	struct fixture *f = *state;
	memset(calls, 0, sizeof calls);
	struct waiter a = {.only = 0, .arg = (void *)0}, b = {.only = 0, .arg = (void *)1};
	checker_wait(f->ck, &a, on_done);
	checker_wait(f->ck, &b, on_done);
	until_connected(f, 0);
	waiter_cancel(&a);
	waiter_cancel(&a); /* harmless twice */
	check_finish(running[0], CHECK_OK, "fine");
	assert_int_equal(calls[0], 0);
	assert_int_equal(calls[1], 1);
}

static void
test_a_cached_result_answers_at_once(void **state)
{
	struct fixture *f = *state;
	memset(calls, 0, sizeof calls);
	checker_set_freshness(f->ck, 3600 * 1000, 0);
	struct waiter a = {.only = -1, .arg = (void *)0}, b = {.only = -1, .arg = (void *)1};
	a.exclude[a.nexclude++] = 1;
	b.exclude[b.nexclude++] = 1;
	checker_wait(f->ck, &a, on_done);
	until_connected(f, 0);
	assert_null(running[1]); /* excluded: not started */
	check_finish(running[0], CHECK_OK, "fine");
	checker_wait(f->ck, &b, on_done); /* done before it returns: the cache answers */
	assert_int_equal(calls[1], 1);
	assert_int_equal(starts[0], 1);
	struct buf list = {0};
	checker_list(f->ck, &b, CHECKER_LIST_PASSING, &list);
	assert_string_equal(list.data, "[+]c0 ok\n[+]c1 excluded: ok\n");
	buf_free(&list);
}

static void
test_the_deadline_ends_a_run(void **state)
{
	struct fixture *f = *state;
	memset(calls, 0, sizeof calls);
	struct waiter a = {.only = 1, .arg = (void *)0};
	checker_wait(f->ck, &a, on_done);
	until_connected(f, 1);
	/* The fake kind never finishes: the run's timer (1s) does. */
	for (int n = 0; calls[0] == 0 && n < 1000; n++)
		assert_int_equal(loop_run_once(f->loop, 100), 0);
	assert_int_equal(calls[0], 1);
	assert_null(running[1]); /* the kind's end ran */
	assert_string_equal(checker_status(f->ck, 1)->reason, "timeout after 1s");
	assert_int_equal(checker_status(f->ck, 1)->result, CHECK_FAIL);
	assert_false(checker_status(f->ck, 1)->cheap);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_run_serves_every_waiter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_new_request_after_a_run_starts_another, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_cancelled_waiter_is_never_called, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_cached_result_answers_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_the_deadline_ends_a_run, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
