/* podhealth: subcommand dispatch. */
#include "config.h"
#include "serve.h"
#include "version.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage[] = "usage: podhealth serve [OPTIONS] CHECK...\n"
			    "       podhealth PORT TIMEOUT ENDPOINT...\n"
			    "Try 'podhealth serve --help'.\n";

static int
misuse(const char *msg)
{
	fprintf(stderr, "podhealth: %s\n%s", msg, usage);
	return 2;
}

static int
cmd_serve(int argc, char **argv, int legacy)
{
	struct config cfg;
	char err[512];
	if (config_parse_serve(&cfg, argc, argv, legacy, environ, err, sizeof err) < 0) {
		config_free(&cfg);
		return misuse(err);
	}
	int status = 0;
	if (cfg.action == CONFIG_HELP)
		fputs(config_serve_help(), stdout);
	else if (cfg.action == CONFIG_VERSION)
		puts("podhealth " PODHEALTH_VERSION);
	else
		status = serve_run(&cfg);
	config_free(&cfg);
	return status;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return misuse("missing command");
	const char *cmd = argv[1];
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 2, argv + 2, 0);
	if (config_is_legacy(cmd))
		return cmd_serve(argc - 1, argv + 1, 1);
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(config_serve_help(), stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		puts("podhealth " PODHEALTH_VERSION);
		return 0;
	}
	char msg[128];
	snprintf(msg, sizeof msg, "unknown command '%.64s'", cmd);
	return misuse(msg);
}
