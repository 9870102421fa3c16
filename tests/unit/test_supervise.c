/* supervise.c: what tini, dumb-init and catatonit agree on, with real children: the exit
 * code passed on, 128 + the signal of a killed child, 127 for a command not found, 126
 * for one that cannot be run, and the signal mask restored in the child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervise.h"

/* Waits for child's status through supervise_reap, as wait's loop does. */
static int
reaped(pid_t child, int *sig)
{
	int status = -1;
	for (int n = 0; n < 100000; n++) {
		if (supervise_reap(child, &status, sig))
			return status;
		usleep(1000);
	}
	fail_msg("child %d never exited", (int)child);
	return -1;
}

static void
test_exit_codes(void **state)
{
	(void)state;
	sigset_t none;
	sigemptyset(&none);
	static const struct {
		const char *name;
		char *argv[4];
		int status, sig;
	} rows[] = {
	    {.name = "exit 0", .argv = {"/bin/sh", "-c", "exit 0"}, .status = 0},
	    {.name = "exit 3", .argv = {"/bin/sh", "-c", "exit 3"}, .status = 3},
	    {.name = "killed", .argv = {"/bin/sh", "-c", "kill -9 $$"}, .status = 137, .sig = 9},
	    {.name = "the mask restored",
	     .argv = {"/bin/sh", "-c", "kill -TERM $$; exit 0"},
	     .status = 143,
	     .sig = 15},
	};
	/* podhealth runs with every signal blocked (a signalfd reads them); the child must
	 * not inherit that. */
	sigset_t all, orig;
	supervise_signals(&all);
	assert_int_equal(sigprocmask(SIG_BLOCK, &all, &orig), 0);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int status = -1, sig = -1;
		pid_t child = supervise_spawn(rows[i].argv, &orig, &status);
		if (child < 0)
			fail_msg("%s: not started (%d)", rows[i].name, status);
		status = reaped(child, &sig);
		if (status != rows[i].status || sig != rows[i].sig)
			fail_msg("%s: status %d signal %d", rows[i].name, status, sig);
	}
	assert_int_equal(sigprocmask(SIG_SETMASK, &orig, NULL), 0);
}

static void
test_commands_that_cannot_run(void **state)
{
	(void)state;
	char dir[] = "/tmp/podhealth-test-supervise.XXXXXX", file[64];
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/data.txt", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("not a program\n", f);
	fclose(f);
	sigset_t none;
	sigemptyset(&none);
	static const struct {
		const char *name;
		int status;
	} rows[] = {{"not found", 127}, {"not executable", 126}};
	char *argv[][2] = {{"podhealth-no-such-command", NULL}, {file, NULL}};
	for (size_t i = 0; i < 2; i++) {
		int status = -1;
		pid_t child = supervise_spawn(argv[i], &none, &status);
		if (child >= 0)
			status = reaped(child, &(int){0});
		if (status != rows[i].status)
			fail_msg("%s: status %d, want %d", rows[i].name, status, rows[i].status);
	}
	unlink(file);
	rmdir(dir);
}

static void
test_the_signals_forwarded(void **state)
{
	(void)state;
	sigset_t set;
	supervise_signals(&set);
	/* Faults in podhealth itself and the terminal stops stay podhealth's. */
	static const int kept[] = {SIGSEGV, SIGBUS,  SIGILL,  SIGFPE, SIGTRAP,
				   SIGSYS,  SIGABRT, SIGTTIN, SIGTTOU};
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
		assert_false(sigismember(&set, kept[i]));
	static const int forwarded[] = {SIGTERM, SIGINT,  SIGHUP,   SIGUSR1,
					SIGUSR2, SIGQUIT, SIGWINCH, SIGCHLD};
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		assert_true(sigismember(&set, forwarded[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_commands_that_cannot_run),
	    cmocka_unit_test(test_the_signals_forwarded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
