/* loop.c: the timer heap against a sorted reference, over random arm, re-arm and cancel
 * sequences; timers never fire early and fire in deadline order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "loop.h"

#define NTIMERS 200

static struct timer timers[NTIMERS];
static int64_t fired_at[NTIMERS * 2];
static size_t fired[NTIMERS * 2], nfired;

static void
on_timer(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)arg;
	fired_at[nfired] = t->deadline;
	fired[nfired++] = (size_t)(t - timers);
}

/* A deadline either past (due now) or an hour away (never due in this test). */
static int64_t
random_deadline(int64_t now, int *due)
{
	*due = rand() % 3 != 0;
	return *due ? now - 1 - rand() % 100000 : now + 3600 * 1000 + rand() % 1000;
}

static void
test_timer_heap_random(void **state)
{
	(void)state;
	struct loop *loop = loop_new();
	assert_non_null(loop);
	for (unsigned seed = 1; seed <= 50; seed++) {
		srand(seed);
		memset(timers, 0, sizeof timers);
		int64_t deadline[NTIMERS] = {0};
		int armed[NTIMERS] = {0}, due[NTIMERS] = {0};
		int64_t now = loop_now();
		/* A reference of what should be armed, kept beside the heap. */
		for (int op = 0; op < 2000; op++) {
			size_t i = (size_t)rand() % NTIMERS;
			if (rand() % 4 == 0) {
				loop_timer_cancel(loop, &timers[i]);
				armed[i] = 0;
			} else {
				deadline[i] = random_deadline(now, &due[i]);
				loop_timer_set(loop, &timers[i], deadline[i], on_timer, NULL);
				armed[i] = 1;
			}
			if (loop_timer_armed(&timers[i]) != armed[i])
				fail_msg("seed %u op %d: timer %zu armed %d, want %d", seed, op, i,
					 loop_timer_armed(&timers[i]), armed[i]);
		}
		nfired = 0;
		assert_int_equal(loop_run_once(loop, 0), 0);
		size_t want = 0;
		for (size_t i = 0; i < NTIMERS; i++)
			want += armed[i] && due[i];
		if (nfired != want)
			fail_msg("seed %u: %zu fired, want %zu", seed, nfired, want);
		for (size_t k = 0; k < nfired; k++) {
			size_t i = fired[k];
			if (!armed[i] || !due[i] || fired_at[k] != deadline[i])
				fail_msg("seed %u: timer %zu fired though not due", seed, i);
			if (k > 0 && fired_at[k] < fired_at[k - 1])
				fail_msg("seed %u: out of deadline order at %zu", seed, k);
			if (loop_timer_armed(&timers[i]))
				fail_msg("seed %u: timer %zu still armed after firing", seed, i);
		}
		for (size_t i = 0; i < NTIMERS; i++) {
			if (armed[i] && !due[i] && !loop_timer_armed(&timers[i]))
				fail_msg("seed %u: future timer %zu lost", seed, i);
			loop_timer_cancel(loop, &timers[i]);
		}
	}
	loop_free(loop);
}

/* A callback may arm, re-arm and cancel other timers, itself included. */
static struct timer *victim;

static void
on_meddle(struct loop *loop, struct timer *t, void *arg)
{
	(void)arg;
	fired[nfired++] = (size_t)(t - timers);
	if (t == &timers[0]) {
		loop_timer_cancel(loop, victim);                                    /* timers[1] */
		loop_timer_set(loop, &timers[2], loop_now() - 1, on_meddle, NULL);  /* sooner */
		loop_timer_set(loop, t, loop_now() + 3600 * 1000, on_meddle, NULL); /* itself */
	}
}

static void
test_timer_callbacks_rearm(void **state)
{
	(void)state;
	struct loop *loop = loop_new();
	assert_non_null(loop);
	memset(timers, 0, sizeof timers);
	int64_t now = loop_now();
	victim = &timers[1];
	loop_timer_set(loop, &timers[0], now - 30, on_meddle, NULL);
	loop_timer_set(loop, &timers[1], now - 20, on_meddle, NULL);
	loop_timer_set(loop, &timers[2], now + 3600 * 1000, on_meddle, NULL);
	nfired = 0;
	assert_int_equal(loop_run_once(loop, 0), 0);
	assert_int_equal(nfired, 2);
	assert_int_equal(fired[0], 0);
	assert_int_equal(fired[1], 2);
	assert_true(loop_timer_armed(&timers[0]));
	assert_false(loop_timer_armed(&timers[1]));
	assert_false(loop_timer_armed(&timers[2]));
	loop_timer_cancel(loop, &timers[0]);
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timer_heap_random),
	    cmocka_unit_test(test_timer_callbacks_rearm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
