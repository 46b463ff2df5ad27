/* oorkonde audit verify / show: the audit log for the operator. */
#include "cli/cli.h"
#include "registry/audit_log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char audit_usage[] =
        "Usage: oorkonde [--data DIR] audit verify\n"
        "       oorkonde [--data DIR] audit show [--learner-id ID] [--actor ACTOR] [--since "
        "SEQ]\n\n"
        "verify walks the hash chain of the audit log and names the first event that was altered,\n"
        "removed or reordered (exit 1), or says that the chain is intact (exit 0).\n"
        "show lists events (sequence, time, actor, action, subject, purpose, detail); the filters\n"
        "keep events about one learner, of one actor, or after a sequence number.\n";

struct show_filter {
	const char *subject;
	const char *actor;
	size_t shown;
};

static int show_event(void *ctx, const struct audit_event *e)
{
	struct show_filter *f = ctx;
	char when[32];
	time_t t = (time_t)(e->at_ms / 1000);
	struct tm tm;

	if ((f->subject && strcmp(e->subject, f->subject) != 0) ||
	    (f->actor && strcmp(e->actor, f->actor) != 0))
		return 0;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%8lld %s %-28s %-20s %-26s %-14s %s\n", (long long)e->seq, when, e->actor,
	       e->action, e->subject, e->purpose, e->detail);
	f->shown++;
	return 0;
}

int cmd_audit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"actor", required_argument, NULL, 'a'},
	        {"since", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *sub = argc > 1 ? argv[1] : "";
	struct show_filter filter = {0};
	struct audit_check check;
	struct depository d;
	struct ok_error err;
	long long since = 0;
	char *end;
	int opt, rc;

	if (strcmp(sub, "verify") != 0 && strcmp(sub, "show") != 0) {
		if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
			fputs(audit_usage, stdout);
			return EXIT_OK;
		}
		return cli_usage_error(c, "expected a subcommand: verify or show");
	}
	argc--;
	argv++;
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'l':
			filter.subject = optarg;
			break;
		case 'a':
			filter.actor = optarg;
			break;
		case 's':
			since = strtoll(optarg, &end, 10);
			if (*end || since < 0)
				return cli_usage_error(c, "--since takes a sequence number");
			break;
		case 'h':
			fputs(audit_usage, stdout);
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
	if (strcmp(sub, "verify") == 0) {
		rc = registry_audit_verify(&d, &check, &err);
		depository_close(&d);
		if (rc) {
			cli_print_error(c, &err);
			return EXIT_FAILED;
		}
		if (!check.intact) {
			printf("Audit chain broken at event %lld: %s\n",
			       (long long)check.broken_seq, check.why);
			return EXIT_REJECTED;
		}
		printf("%lld events, chain intact\n", (long long)check.events);
		return EXIT_OK;
	}
	rc = registry_audit_list(&d, since, show_event, &filter, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (!filter.shown)
		printf("(no events)\n");
	return EXIT_OK;
}
