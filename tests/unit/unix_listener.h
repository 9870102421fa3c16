/* For the unit tests that connect checks to a peer of their own (test_check.c,
 * test_kinds.c): a unix socket listening at dir/s, dir a new private directory made from
 * the template in dir ("/tmp/NAME.XXXXXX"). Returns the listener; the caller closes it,
 * unlinks path and removes dir. */
#ifndef PODHEALTH_TEST_UNIX_LISTENER_H
#define PODHEALTH_TEST_UNIX_LISTENER_H

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static int
unix_listener(char *dir, char *path, size_t pathlen, int backlog)
{
	assert_non_null(mkdtemp(dir));
	snprintf(path, pathlen, "%s/s", dir);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

#endif
