/* oorkonde learner correct: the operator corrects a learner's names or birth date explicitly;
 * the values before and after are kept sealed in the learner's history. */
#include "audit/actor.h"
#include "cli/cli.h"

#include "registry/identity.h"

#include <string.h>

static const char correct_usage[] =
        "Usage: oorkonde [--data DIR] learner correct LEARNER_ID [--given-names NAMES]\n"
        "                [--family-name NAME] [--birth-date YYYY-MM-DD]\n\n"
        "Corrects the learner's identity: the fields given change, the others stay. An import\n"
        "never changes a registered learner's names or birth date; this does, on purpose. The\n"
        "values before and after are kept sealed in the learner's history (shown in `learner\n"
        "report`), and the correction is an audit event (learner.correct, purpose correction).\n\n"
        "  --given-names NAMES     the given names (\"\" for a learner with one name only)\n"
        "  --family-name NAME      the family name\n"
        "  --birth-date DATE       the birth date, YYYY-MM-DD\n"
        "  --help                  print this help\n\n"
        "Exit status: 0 corrected (or nothing to change), 1 refused (a value that does not\n"
        "validate, no such learner), 2 usage error.\n";

int cmd_learner_correct(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"given-names", required_argument, NULL, 'g'},
	        {"family-name", required_argument, NULL, 'f'},
	        {"birth-date", required_argument, NULL, 'b'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct identity_fields in = {NULL, NULL, NULL};
	struct identity_outcome out;
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'g':
			in.given_names = optarg;
			break;
		case 'f':
			in.family_name = optarg;
			break;
		case 'b':
			in.birth_date = optarg;
			break;
		case 'h':
			fputs(correct_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, optind == argc ? "give the learner's id"
		                                         : "give one learner id");
	if (!in.given_names && !in.family_name && !in.birth_date)
		return cli_usage_error(c, "give at least one of --given-names, --family-name, "
		                          "--birth-date");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_identity_correct(&d, argv[optind], NULL, &in, AUDIT_OPERATOR, "correction",
	                               &out, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_EINPUT || rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	if (out.changed)
		printf("Corrected %s of learner %s (history record %s).\n", out.fields,
		       argv[optind], out.change_id);
	else
		printf("Nothing to correct: learner %s has these values already.\n", argv[optind]);
	return EXIT_OK;
}
