/* oorkonde learner SUBCOMMAND: the learner's own matters, each subcommand in its own file. */
#include "cli/cli.h"

#include <string.h>

static const char learner_usage[] =
        "Usage: oorkonde [--data DIR] learner SUBCOMMAND ...\n\n"
        "Subcommands:\n"
        "  report LEARNER_ID  the learner's access report (GDPR art. 15), JSON or HTML\n"
        "  login-link LEARNER_ID  a one-time link that signs the learner in to the portal\n"
        "  correct LEARNER_ID  correct the learner's names or birth date (kept in a history)\n"
        "  erase LEARNER_ID  erase shares, sessions or foreign achievements (GDPR art. 17)\n\n"
        "Run 'oorkonde learner SUBCOMMAND --help' for its options.\n";

int cmd_learner(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(learner_usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "report")) {
		optind = 1;
		return cmd_learner_report(c, argc - 1, argv + 1);
	}
	if (!strcmp(sub, "login-link")) {
		optind = 1;
		return cmd_learner_login_link(c, argc - 1, argv + 1);
	}
	if (!strcmp(sub, "correct")) {
		optind = 1;
		return cmd_learner_correct(c, argc - 1, argv + 1);
	}
	if (!strcmp(sub, "erase")) {
		optind = 1;
		return cmd_learner_erase(c, argc - 1, argv + 1);
	}
	return cli_usage_error(c, "expected a subcommand: report, login-link, correct or erase");
}
