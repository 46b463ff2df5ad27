/* oorkonde demo: seed the demo dataset. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "registry/demo.h"
#include "portal/portal.h"

#include <sodium.h>
#include <stdlib.h>

static const char demo_usage[] =
        "Usage: oorkonde [--data DIR] demo [--learners N] [--login-link]\n\n"
        "Seeds the demo dataset: three Dutch institutions (a university, a university of applied\n"
        "sciences, an MBO school) and N learners (default 300) with course results and diplomas.\n"
        "Running it again changes nothing. API keys are printed for institutions it creates.\n\n"
        "  --learners N  how many learners (1-1000000)\n"
        "  --login-link  also print a one-time link that signs the example learner in to the\n"
        "                learner portal (as `learner login-link` does), and allow such links\n"
        "                in this folder (config.json allow_login_links)\n"
        "  --help        print this help\n";

int cmd_demo(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learners", required_argument, NULL, 'n'},
	        {"login-link", no_argument, NULL, 'l'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct depository d;
	struct demo_result res;
	struct ok_error err;
	unsigned long learners = 300;
	char *end;
	char nid[10], url[PORTAL_URL_MAX], until[32];
	int64_t expires = 0;
	size_t k;
	bool login_link = false;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'n':
			learners = strtoul(optarg, &end, 10);
			if (*end || end == optarg || learners < 1 || learners > 1000000)
				return cli_usage_error(c, "--learners must be 1-1000000");
			break;
		case 'l':
			login_link = true;
			break;
		case 'h':
			fputs(demo_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_demo_seed(&d, learners, &res, &err);
	registry_demo_example(learners, nid);
	/* The demo's folder allows sign-in links (off elsewhere): a demo has no identity
	 * provider to sign in with. */
	bool flipped = false;
	if (!rc && login_link && !d.allow_login_links &&
	    !(rc = depository_config_set_bool(c->data_dir, "allow_login_links", true, &err)))
		d.allow_login_links = flipped = true;
	if (!rc && login_link)
		/* For the demo's example learner, so that the portal can be tried at once. */
		rc = portal_login_link_for_national_id(&d, nid, AUDIT_OPERATOR, url, &expires,
		                                       &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("Demo dataset in %s:\n", c->data_dir);
	for (k = 0; k < DEMO_INSTITUTIONS; k++) {
		const struct demo_institution_result *i = &res.institutions[k];
		printf("  %-5s %-30s %s\n", i->code, i->name, i->created ? "added" : "present");
		if (i->created)
			printf("        API key (shown once): %s\n", i->key);
	}
	printf("  %zu achievements: %zu added, %zu updated, %zu unchanged; %zu new learners\n",
	       res.report.read, res.report.added, res.report.updated, res.report.unchanged,
	       res.report.learners_added);
	printf("Try: oorkonde --data %s achievements --national-id %s\n", c->data_dir, nid);
	/* A setting of the folder changed for good: said, so that nobody finds it on by chance
	 * in a real depository. */
	if (flipped)
		printf("Sign-in links are now allowed in %s (config.json \"allow_login_links\": "
		       "true; "
		       "remove it to turn them off)\n",
		       c->data_dir);
	if (login_link) {
		portal_time_iso(expires, until);
		printf("Sign in as this learner (one use, until %s): %s\n", until, url);
		sodium_memzero(url, sizeof(url));
	}
	return EXIT_OK;
}
