/* The sanitizer builds see inside the libraries they link: Mbed TLS is compiled with ASan
 * and UBSan for them (the Makefile's asan_DEPS_CFLAGS). A hash over a buffer shorter than
 * the length given reads past it inside Mbed TLS's own block function, by plain loads, not
 * through an intercepted memcpy: against an uninstrumented Mbed TLS nothing is reported,
 * against the sanitized one ASan stops the process with the library's frame named. In the
 * plain glibc build (the one valgrind runs) the test has nothing to prove and skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mbedtls/sha256.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static void
test_an_overflow_inside_mbedtls_is_reported(void **state)
{
	(void)state;
	if (!SANITIZED)
		skip();
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		unsigned char *block = malloc(64), out[32];
		memset(block, 'x', 64);
		/* Two blocks asked, one there: the second is read past the allocation. */
		mbedtls_sha256(block, 128, out, 0);
		_exit(0);
	}
	close(fds[1]);
	/* Read to the end (a report longer than the buffer must not block the child); the
	 * report's head names the error and its first frames. */
	char report[16384], rest[4096];
	size_t n = 0;
	ssize_t r;
	while ((r = read(fds[0], n < sizeof report - 1 ? report + n : rest,
			 n < sizeof report - 1 ? sizeof report - 1 - n : sizeof rest)) > 0)
		if (n < sizeof report - 1)
			n += (size_t)r;
	report[n] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(report, "heap-buffer-overflow"));
	assert_non_null(strstr(report, "mbedtls_internal_sha256_process"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_an_overflow_inside_mbedtls_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
