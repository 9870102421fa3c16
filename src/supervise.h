/* Running a command as podhealth's child, the way tini, dumb-init and catatonit do:
 * signals forwarded, every zombie reaped, the child's exit status passed on. */
#ifndef PODHEALTH_SUPERVISE_H
#define PODHEALTH_SUPERVISE_H

#include <signal.h>
#include <sys/types.h>

/* Fills set with the signals podhealth reads from a signalfd while it runs a command:
 * every catchable signal except those the kernel raises synchronously for a fault in
 * podhealth itself (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT) and the
 * terminal stops SIGTTIN and SIGTTOU, as tini does. */
void supervise_signals(sigset_t *set);

/* Replaces the process with argv after restoring the signal mask to orig. Returns only
 * on failure, with the exit status to use (127 not found, 126 not executable) after
 * logging why. */
int supervise_exec(char *const argv[], const sigset_t *orig);

/* Starts argv as a child with signal mask orig. Returns its pid, or -1 with *status the
 * exit status to use (127/126, already logged) when it could not be started. */
pid_t supervise_spawn(char *const argv[], const sigset_t *orig, int *status);

/* Reaps every exited child without blocking (podhealth may be PID 1, the adopter of
 * orphans). Returns 1 and sets *status (exit code, or 128 + signal) and *sig (the signal
 * that killed it, or 0) when child is among them, else 0. */
int supervise_reap(pid_t child, int *status, int *sig);

#endif
