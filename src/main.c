/* podhealth: subcommand dispatch. */
#include "buf.h"
#include "config.h"
#include "fmt.h"
#include "probe.h"
#include "serve.h"
#include "version.h"
#include "wait.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What --version says: ours, then what is compiled in. The glibc builds are for tests. */
#ifdef __GLIBC__
#define LIBC "glibc (a test build)"
#else
#define LIBC PODHEALTH_MUSL
#endif
static const char version_text[] = "podhealth " PODHEALTH_VERSION "\nbuilt with " LIBC
				   ", " PODHEALTH_LIBS " (Debian package versions)\n";

static int
misuse(enum config_mode mode, const char *msg)
{
	struct buf b = {0};
	buf_printf(&b, "podhealth: %s\n", msg);
	config_usage(mode, &b);
	fmt_puts(2, b.data ? b.data : "podhealth: out of memory\n");
	buf_free(&b);
	return 2;
}

static void
help(enum config_mode mode)
{
	struct buf b = {0};
	config_help(mode, &b);
	if (b.len)
		fmt_write(1, b.data, b.len);
	buf_free(&b);
}

static int
run(enum config_mode mode, int argc, char **argv)
{
	struct config cfg;
	char err[512];
	if (config_parse(&cfg, mode, argc, argv, environ, err, sizeof err) < 0) {
		config_free(&cfg);
		/* Out of memory is the system failing us, not a usage error: exit 1, not 2. */
		if (strcmp(err, "out of memory") == 0) {
			fmt_puts(2, "podhealth: error: out of memory\n");
			return 1;
		}
		return misuse(mode, err);
	}
	int status = 0;
	if (cfg.action == CONFIG_HELP)
		help(mode);
	else if (cfg.action == CONFIG_VERSION)
		fmt_puts(1, version_text);
	else if (mode == MODE_WAIT)
		status = wait_run(&cfg);
	else if (mode == MODE_PROBE)
		status = probe_run(&cfg);
	else
		status = serve_run(&cfg);
	config_free(&cfg);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum config_mode mode;
	} commands[] = {{"serve", MODE_SERVE}, {"wait", MODE_WAIT}, {"probe", MODE_PROBE}};
	if (argc < 2) {
		/* A Deployment may configure podhealth by its environment alone (an image whose
		 * entrypoint is /podhealth, no args): that is serve. */
		if (getenv("PODHEALTH_CHECKS") || getenv("PODHEALTH_CHECK"))
			return run(MODE_SERVE, 0, argv + 1);
		return misuse(MODE_SERVE, "missing command");
	}
	const char *cmd = argv[1];
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return run(commands[i].mode, argc - 2, argv + 2);
	if (config_is_legacy(cmd))
		return run(MODE_LEGACY, argc - 1, argv + 1);
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		help(MODE_SERVE);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		fmt_puts(1, version_text);
		return 0;
	}
	char msg[128];
	fmt_format(msg, sizeof msg, "unknown command '%.64s'", cmd);
	return misuse(MODE_SERVE, msg);
}
