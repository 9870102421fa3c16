/* TCP and unix-socket checks: healthy when a connection completes within the timeout
 * (kubelet's tcpSocket probe). */
#include "check_impl.h"

static void
tcp_connected(struct check *c)
{
	check_finish(c, CHECK_OK, "connected");
}

const struct check_kind check_kind_tcp = {
    .connected = tcp_connected,
};
