/* oorkonde learner erase: a learner's erasure request (GDPR art. 17) for what the law does not
 * require to be kept (registry/retention.h). */
#include "audit/actor.h"
#include "cli/cli.h"
#include "registry/retention.h"

#include <string.h>

static const char erase_usage[] =
        "Usage: oorkonde [--data DIR] learner erase LEARNER_ID --scope shares,sessions,foreign\n\n"
        "Carries out a learner's request to erase their data (GDPR art. 17) for what the law\n"
        "does not require to be kept, at once and for good: their shares with the record of\n"
        "each opening (shares), their portal and EMREX sessions, sign-in links and wallet\n"
        "offers (sessions), and the credentials of other depositories kept for them\n"
        "(foreign). Results, diplomas and the\n"
        "identity registered with them are refused, with the reason: the institutions must\n"
        "keep them until their retention period ends. A learner under a legal hold is\n"
        "refused too. Like a retention run, it gets a signed destruction certificate\n"
        "(`oorkonde retention certificates`).\n\n"
        "  --scope LIST  comma-separated: shares, sessions, foreign\n"
        "  --help        print this help\n";

int cmd_learner_erase(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"scope", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *scope = NULL, *learner_id;
	struct retention_progress p;
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 's') {
			scope = optarg;
		} else if (opt == 'h') {
			fputs(erase_usage, stdout);
			return EXIT_OK;
		} else {
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc || !scope)
		return cli_usage_error(c, "learner erase needs LEARNER_ID and --scope LIST");
	learner_id = argv[optind];
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_retention_erase(&d, learner_id, scope, AUDIT_OPERATOR, &p, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_EINPUT && !strcmp(err.field, "scope") ? EXIT_FAILED : EXIT_REJECTED;
	}
	printf("Erased: %lld shares, %lld sessions, %lld login links, %lld wallet offers, %lld "
	       "foreign achievements.\n",
	       (long long)p.destroyed[RETENTION_SHARE], (long long)p.destroyed[RETENTION_SESSION],
	       (long long)p.destroyed[RETENTION_LOGIN_LINK],
	       (long long)p.destroyed[RETENTION_WALLET_OFFER],
	       (long long)p.destroyed[RETENTION_FOREIGN]);
	printf("Destruction certificate: oorkonde retention certificates %s\n", p.run_id);
	return EXIT_OK;
}
