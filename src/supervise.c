#include "supervise.h"

#include "fmt.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void
supervise_signals(sigset_t *set)
{
	static const int sync_signals[] = {SIGSEGV, SIGBUS,  SIGILL,  SIGFPE, SIGTRAP,
					   SIGSYS,  SIGABRT, SIGTTIN, SIGTTOU};
	sigfillset(set);
	for (size_t i = 0; i < sizeof sync_signals / sizeof sync_signals[0]; i++)
		sigdelset(set, sync_signals[i]);
}

/* The shell's convention, which tini, dumb-init and catatonit follow. */
static int
exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

static void
log_exec_failure(const char *cmd, int err)
{
	char e[16];
	fmt_format(e, sizeof e, "%d", err);
	log_event(LOG_ERROR,
		  err == ENOENT || err == ENOTDIR ? "command not found"
		  : err == EACCES                 ? "command not executable (permission denied)"
		  : err == ENOEXEC                ? "command not executable (unknown format)"
						  : "cannot run command",
		  "cmd", cmd, "errno", e, NULL);
}

static void
child_setup(const sigset_t *orig)
{
	/* The command starts as if podhealth were not there: default dispositions (nothing
	 * of ours is ignored or caught) and the signal mask podhealth started with. */
	(void)sigprocmask(SIG_SETMASK, orig, NULL); /* fails only for an invalid how */
}

int
supervise_exec(char *const argv[], const sigset_t *orig)
{
	sigset_t blocked;
	(void)sigprocmask(SIG_SETMASK, NULL, &blocked);
	child_setup(orig);
	execvp(argv[0], argv);
	int err = errno;
	(void)sigprocmask(SIG_SETMASK, &blocked, NULL);
	log_exec_failure(argv[0], err);
	return exec_status(err);
}

pid_t
supervise_spawn(char *const argv[], const sigset_t *orig, int *status)
{
	/* A close-on-exec pipe tells the parent whether exec worked: EOF when it did, the
	 * child's errno when it did not. */
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		*status = 126;
		log_event(LOG_ERROR, "cannot run command", "cmd", argv[0], NULL);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(p[0]);
		close(p[1]);
		*status = 126;
		log_exec_failure(argv[0], err);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child_setup(orig);
		execvp(argv[0], argv);
		int err = errno;
		ssize_t n = write(p[1], &err, sizeof err);
		(void)n;
		_exit(exec_status(err));
	}
	close(p[1]);
	int err = 0;
	ssize_t n;
	do
		n = read(p[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof err) {
		int ignored;
		waitpid(pid, &ignored, 0); /* the child has exited already */
		*status = exec_status(err);
		log_exec_failure(argv[0], err);
		return -1;
	}
	return pid;
}

int
supervise_reap(pid_t child, int *status, int *sig)
{
	int found = 0, st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != child)
			continue; /* an orphan we adopted as PID 1 */
		found = 1;
		*sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return found;
}
