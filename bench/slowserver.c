/* A benchmark upstream: answers every HTTP request after a fixed delay, any number at
 * once, on one epoll loop, so that it is never the bottleneck it is meant to stand for.
 * Usage: slowserver PORT DELAY_MS. Constant delays make the due times a FIFO. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 65536

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int queue[MAXFD];
static int64_t due[MAXFD];
static size_t head, tail; /* ring buffer of fds waiting for their delay */
static unsigned char seen[MAXFD]; /* bytes of "\r\n\r\n" matched so far */

int
main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int port = atoi(argv[1]), delay = atoi(argv[2]), one = 1;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0) {
		perror("slowserver");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}, evs[256];
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	for (;;) {
		int timeout = head == tail ? -1 : (int)(due[head % MAXFD] - now_ms());
		int n = epoll_wait(ep, evs, 256, timeout < 0 && head != tail ? 0 : timeout);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == lfd) {
				int c;
				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (c >= MAXFD) {
						close(c);
						continue;
					}
					seen[c] = 0;
					struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
				continue;
			}
			char buf[4096];
			ssize_t r = read(fd, buf, sizeof buf);
			if (r <= 0) {
				close(fd);
				continue;
			}
			for (ssize_t k = 0; k < r && seen[fd] < 4; k++)
				seen[fd] = buf[k] == "\r\n\r\n"[seen[fd]] ? seen[fd] + 1 : buf[k] == '\r';
			if (seen[fd] == 4) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				due[tail % MAXFD] = now_ms() + delay;
				queue[tail++ % MAXFD] = fd;
			}
		}
		for (int64_t t = now_ms(); head != tail && due[head % MAXFD] <= t; head++) {
			int fd = queue[head % MAXFD];
			ssize_t w = write(fd, resp, sizeof resp - 1);
			(void)w;
			close(fd);
		}
	}
}
