/* TCP checks: healthy when a connection completes within the timeout. */
#include "check.h"

void
check_tcp_connected(struct check *c)
{
	check_finish(c, CHECK_OK, "connected");
}
