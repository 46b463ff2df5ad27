/* oorkonde hold add|list|release: legal holds, which keep records from the retention schedule
 * (registry/retention.h). */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "registry/retention.h"

#include <string.h>

static const char hold_usage[] =
        "Usage: oorkonde [--data DIR] hold add (--learner-id ID | --institution CODE |\n"
        "                                       --achievement ID) --reason TEXT\n"
        "       oorkonde [--data DIR] hold list [--json]\n"
        "       oorkonde [--data DIR] hold release HOLD_ID\n\n"
        "A legal hold keeps records that the retention schedule would destroy: every record\n"
        "of a learner, of an institution, or one achievement, until the hold is released.\n"
        "Holds and releases are audit events. The reason (1-200 characters) is shown in\n"
        "`hold list`: name the matter (a case number), not a person.\n\n"
        "  --learner-id ID     hold everything of this learner\n"
        "  --institution CODE  hold every record of this institution\n"
        "  --achievement ID    hold this achievement (or foreign achievement)\n"
        "  --reason TEXT       why the records must be kept\n"
        "  --json              list: a JSON array of holds\n"
        "  --help              print this help\n";

static int hold_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"institution", required_argument, NULL, 'i'},
	        {"achievement", required_argument, NULL, 'a'},
	        {"reason", required_argument, NULL, 'r'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	enum retention_hold_scope scope = RETENTION_HOLD_LEARNER;
	const char *target = NULL, *reason = NULL;
	struct store_hold h;
	struct depository d;
	struct ok_error err;
	int opt, rc, targets = 0;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'l':
			scope = RETENTION_HOLD_LEARNER;
			target = optarg;
			targets++;
			break;
		case 'i':
			scope = RETENTION_HOLD_INSTITUTION;
			target = optarg;
			targets++;
			break;
		case 'a':
			scope = RETENTION_HOLD_ACHIEVEMENT;
			target = optarg;
			targets++;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			fputs(hold_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (targets != 1 || !reason || optind != argc)
		return cli_usage_error(c, "hold add needs one of --learner-id, --institution or "
		                          "--achievement, and --reason TEXT");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_hold_add(&d, scope, target, reason, AUDIT_OPERATOR, &h, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_EINPUT || rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	printf("%s\n", h.id);
	fprintf(stderr, "Hold %s: the %s's records are kept until `oorkonde hold release %s`.\n",
	        h.id, h.scope, h.id);
	return EXIT_OK;
}

struct list_ctx {
	bool json;
	int n;
};

static int print_hold(void *ctx, const struct store_hold *h)
{
	struct list_ctx *l = ctx;
	char since[32], until[32];

	term_time(h->created_ms, since);
	term_time(h->released_ms, until);
	if (l->json) {
		printf("%s\n  {\"id\": \"%s\", \"scope\": \"%s\", \"target\": ", l->n ? "," : "",
		       h->id, h->scope);
		cli_json_string(stdout, h->target);
		printf(", \"reason\": ");
		cli_json_string(stdout, h->reason);
		printf(", \"created\": \"%s\", \"by\": ", since);
		cli_json_string(stdout, h->created_by);
		printf(", \"released\": %s%s%s}", h->released_ms ? "\"" : "",
		       h->released_ms ? until : "null", h->released_ms ? "\"" : "");
	} else {
		printf("%s  %-11s ", h->id, h->scope);
		term_put(stdout, h->target);
		printf("  %s  %s  ", since, h->released_ms ? "released" : "in force");
		term_put(stdout, h->reason);
		printf("\n");
	}
	l->n++;
	return 0;
}

static int hold_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct list_ctx l = {0};
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 'j') {
			l.json = true;
		} else if (opt == 'h') {
			fputs(hold_usage, stdout);
			return EXIT_OK;
		} else {
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "hold list takes no arguments");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	if (l.json)
		printf("[");
	rc = registry_hold_list(&d, print_hold, &l, &err);
	if (l.json)
		printf("%s]\n", l.n ? "\n" : "");
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int hold_release(struct cli *c, int argc, char **argv)
{
	struct depository d;
	struct ok_error err;
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(hold_usage, stdout);
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(c, "hold release needs HOLD_ID");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_hold_release(&d, argv[1], AUDIT_OPERATOR, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND || rc == OK_ECONFLICT ? EXIT_REJECTED : EXIT_FAILED;
	}
	printf("Hold %s released: its records follow the retention schedule again.\n", argv[1]);
	return EXIT_OK;
}

int cmd_hold(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"add", "oorkonde hold add", hold_add},
	        {"list", "oorkonde hold list", hold_list},
	        {"release", "oorkonde hold release", hold_release},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), hold_usage,
	                      "expected a subcommand: add, list or release");
}
