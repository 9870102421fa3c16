/* A single-threaded epoll event loop with monotonic-clock timers and deferred frees.
 * No timer is armed unless a caller arms one, so an idle loop sleeps in epoll_wait. */
#ifndef PODHEALTH_LOOP_H
#define PODHEALTH_LOOP_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

struct loop;

typedef void (*io_cb)(struct loop *loop, int fd, uint32_t events, void *arg);

/* A watched file descriptor; embedded in its owner, which must outlive the watch. */
struct io {
	int fd;          /* -1 when not watched */
	uint32_t events; /* what epoll watches for */
	io_cb cb;
	void *arg;
};

struct timer;
typedef void (*timer_cb)(struct loop *loop, struct timer *t, void *arg);

/* A one-shot timer; embedded in its owner. Zero-initialise before first use. Timers live
 * in an intrusive pairing heap, so arming one never allocates and never fails. */
struct timer {
	int64_t deadline; /* loop_now() milliseconds */
	struct timer *child, *next;
	struct timer *prev; /* parent or left sibling; NULL when not armed (or the root) */
	int armed;
	timer_cb cb;
	void *arg;
};

/* Returns a new loop (caller frees with loop_free), or NULL with errno set. */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Returns CLOCK_MONOTONIC in milliseconds, rounded down. */
int64_t loop_now(void);

/* Returns the deadline ms milliseconds from now, rounded up, so that a timer set to it
 * never fires before ms have passed. */
int64_t loop_after(int64_t ms);

/* Starts watching fd for events (EPOLLIN/EPOLLOUT). Returns 0, or -1 with errno set. */
int loop_io_add(struct loop *loop, struct io *io, int fd, uint32_t events, io_cb cb, void *arg);

/* Changes the watched events. Returns 0, or -1 with errno set. */
int loop_io_mod(struct loop *loop, struct io *io, uint32_t events);

/* Stops watching; events already fetched for io are dropped. Does not close the fd. */
void loop_io_del(struct loop *loop, struct io *io);

/* Stops watching io (if watched) and closes its fd: the one way a watched socket ends. */
void loop_io_close(struct loop *loop, struct io *io);

/* Arms (or re-arms) t to fire once at deadline. Cannot fail. */
void loop_timer_set(struct loop *loop, struct timer *t, int64_t deadline, timer_cb cb, void *arg);

/* Returns 1 when t is armed. */
int loop_timer_armed(const struct timer *t);

/* Disarms t; harmless when it is not armed. */
void loop_timer_cancel(struct loop *loop, struct timer *t);

/* Frees p with free() once the current batch of events has been dispatched, so that an
 * event already fetched for an object closed by an earlier callback never touches freed
 * memory. Out of memory, p is leaked rather than freed early. */
void loop_free_later(struct loop *loop, void *p);

/* Blocks the signals in set for the calling thread (and threads it creates later), saving
 * the mask before in *old when old is not NULL, and returns a non-blocking, close-on-exec
 * signalfd that reads them, or -1 with errno set. */
int loop_signalfd(const sigset_t *set, sigset_t *old);

/* Dispatches events until loop_stop() (at once if it was called before). Returns 0, or
 * -1 when epoll_wait fails. */
int loop_run(struct loop *loop);

/* Waits for one batch of events (at most max_wait_ms; -1: until the next timer or
 * event) and dispatches it with the timers due. Returns 0, or -1 when epoll_wait fails. */
int loop_run_once(struct loop *loop, int max_wait_ms);

/* Makes loop_run() return after the current batch. */
void loop_stop(struct loop *loop);

#endif
