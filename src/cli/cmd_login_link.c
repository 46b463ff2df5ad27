/* oorkonde learner login-link: a one-time link that signs a learner in to the portal. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "portal/portal.h"

#include <sodium.h>
#include <string.h>

static const char login_link_usage[] =
        "Usage: oorkonde [--data DIR] learner login-link LEARNER_ID\n\n"
        "Prints a one-time link that signs the learner in to the portal (/learner). It works\n"
        "once, for login_link_ttl_s seconds (config.json; 900 by default); the session it\n"
        "starts ends after session_idle_s seconds without activity (1800 by default). Hand it\n"
        "to the learner only: whoever opens it first is signed in as them. Links are a tool\n"
        "for support and tests, off unless config.json sets \"allow_login_links\": true\n"
        "(`demo --login-link` sets it); learners sign in with an OpenID provider.\n\n"
        "  --help    print this help\n";

int cmd_learner_login_link(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	char url[PORTAL_URL_MAX], until[32];
	struct depository d;
	struct ok_error err;
	int64_t expires;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 'h') {
			fputs(login_link_usage, stdout);
			return EXIT_OK;
		}
		return cli_usage_error(c, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, optind == argc ? "give the learner's id"
		                                         : "give one learner id");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = portal_login_link_create(&d, argv[optind], AUDIT_OPERATOR, url, &expires, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	portal_time_iso(expires, until);
	printf("%s\n", url);
	fprintf(stderr, "One use, valid until %s.\n", until);
	sodium_memzero(url, sizeof(url));
	return EXIT_OK;
}
