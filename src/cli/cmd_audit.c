/* oorkonde audit verify / checkpoint / show: the audit log for the operator. */
#include "cli/cli.h"
#include "cli/term.h"
#include "audit/log.h"
#include "audit/checkpoint.h"
#include "store/audit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char audit_usage[] =
        "Usage: oorkonde [--data DIR] audit verify\n"
        "       oorkonde [--data DIR] audit checkpoint\n"
        "       oorkonde [--data DIR] audit show [--learner-id ID] [--actor ACTOR] [--since TIME]\n"
        "                                        [--after SEQ] [--json]\n\n"
        "verify walks the hash chain of the audit log and checks it against the signed\n"
        "checkpoints (in the database and in the data folder's file audit-checkpoints): it names\n"
        "the first event that was altered, removed or reordered, or says where the log was cut\n"
        "(exit 1), or that the chain is intact (exit 0). A log with events but no checkpoint\n"
        "at all (none is due before event audit_checkpoint_every, and a depository used only\n"
        "from the command line has none) gets a warning: nothing then shows that it was not\n"
        "rewritten wholesale.\n"
        "checkpoint signs the chain head now with the issuer key (the server also does so every\n"
        "audit_checkpoint_every events, default 10000, and when it stops).\n"
        "show lists events (sequence, time, actor, action, subject, purpose, detail):\n"
        "  --learner-id ID  events about one learner (their record, achievements and shares)\n"
        "  --actor ACTOR    events of one actor (operator, institution:CODE (all its keys),\n"
        "                   institution:CODE/key:ID, learner:ID, share:ID); a trailing *\n"
        "                   matches the beginning (institution:*)\n"
        "  --since TIME     at or after an ISO 8601 date or date-time (UTC unless an offset\n"
        "                   is given: 2026-01-31, 2026-01-31T14:30:00Z, 2026-01-31T15:30+01:00)\n"
        "  --after SEQ      after a sequence number\n"
        "  --json           a JSON array of events\n";

struct show {
	bool json;
	json_t *list;
	size_t shown;
};

static int show_event(void *ctx, const struct audit_event *e)
{
	struct show *s = ctx;
	char when[32], actor[128], action[64], subject[128], purpose[128], detail[1024];

	audit_format_time(e->at_ms, when);
	s->shown++;
	if (s->json) {
		json_t *o =
		        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)e->seq,
		                  "at", when, "actor", e->actor, "action", e->action, "subject",
		                  e->subject, "purpose", e->purpose, "detail", e->detail);
		return o && json_array_append_new(s->list, o) == 0 ? 0 : OK_ENOMEM;
	}
	/* Purposes, details and subjects can hold what others sent (a registrar's purpose header,
	 * a recipient label, a foreign issuer): escaped, as every CLI table is. */
	printf("%8lld %s %-28s %-20s %-26s %-14s %s\n", (long long)e->seq, when,
	       term_safe(e->actor, actor, sizeof(actor)),
	       term_safe(e->action, action, sizeof(action)),
	       term_safe(e->subject, subject, sizeof(subject)),
	       term_safe(e->purpose, purpose, sizeof(purpose)),
	       term_safe(e->detail, detail, sizeof(detail)));
	return 0;
}

static int any_checkpoint(void *ctx, const struct audit_checkpoint *cp)
{
	(void)cp;
	*(bool *)ctx = true;
	return 1;
}

static int any_checkpoint_line(void *ctx, size_t line, const struct audit_checkpoint *cp)
{
	(void)line;
	return any_checkpoint(ctx, cp);
}

/*
 * Someone who rewrites the log wholesale (fresh hashes) and deletes the checkpoints leaves a
 * chain that walks. From event audit_checkpoint_every on, audit_log_verify finds the missing
 * checkpoint; before it, a log without any is what a depository used only from the command
 * line has, so this is said loudly but is not a failure.
 */
static void warn_unsigned(struct depository *d, const struct audit_check *check)
{
	struct ok_error err;
	bool any = false;

	ok_error_clear(&err);
	if (check->events == 0 || check->checkpoints > 0)
		return;
	if (store_checkpoint_list(d->store, 0, any_checkpoint, &any, &err) < 0 ||
	    (!any && audit_checkpoints_file_read(d, any_checkpoint_line, &any, &err) < 0) || any)
		return;
	fprintf(stderr,
	        "WARNING: the audit log has no signed checkpoint: nothing shows that these %lld "
	        "events were not rewritten wholesale. 'oorkonde audit checkpoint' signs the head "
	        "now (a server also does when it stops).\n",
	        (long long)check->events);
}

static int verify(struct cli *c, struct depository *d)
{
	struct audit_check check;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = audit_log_verify(d, &check, &err);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (check.cut) {
		/* why reads "the log was cut after event N: …" */
		printf("The%s\n", check.why + 3);
		return EXIT_REJECTED;
	}
	if (!check.intact && check.broken_seq) {
		printf("Audit chain broken at event %lld: %s\n", (long long)check.broken_seq,
		       check.why);
		return EXIT_REJECTED;
	}
	if (!check.intact) {
		printf("Audit checkpoints not intact: %s\n", check.why);
		return EXIT_REJECTED;
	}
	printf("%lld events, chain intact, %lld checkpoint%s verified", (long long)check.events,
	       (long long)check.checkpoints, check.checkpoints == 1 ? "" : "s");
	if (check.checkpoints_unfiled)
		printf(" (%lld not yet in %s)", (long long)check.checkpoints_unfiled,
		       CHECKPOINT_FILE);
	printf("\n");
	if (check.tombstones)
		printf("%lld event%s kept as tombstones: their details were destroyed under the "
		       "retention schedule, their hashes still link the chain\n",
		       (long long)check.tombstones, check.tombstones == 1 ? "" : "s");
	fflush(stdout);
	warn_unsigned(d, &check);
	return EXIT_OK;
}

static int checkpoint(struct cli *c, struct depository *d)
{
	struct audit_checkpoint cp;
	struct ok_error err;
	char when[32], line[AUDIT_CHECKPOINT_LINE_MAX];
	bool made;
	int rc;

	ok_error_clear(&err);
	rc = audit_checkpoints_make(d, &cp, &made, &err);
	if (rc == OK_ENOTFOUND) {
		printf("No checkpoint: %s\n", err.message);
		return EXIT_REJECTED;
	}
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	audit_format_time(cp.at_ms, when);
	if (made)
		printf("Checkpoint at event %lld signed %s by issuer key %lu\n", (long long)cp.seq,
		       when, (unsigned long)cp.key_id);
	else
		printf("Event %lld has a checkpoint already (signed %s by issuer key %lu)\n",
		       (long long)cp.seq, when, (unsigned long)cp.key_id);
	/* The one thing a person who controls the whole data folder cannot undo: a copy of the
	 * newest checkpoint kept elsewhere. */
	if (audit_checkpoint_format(&cp, line, sizeof(line)))
		printf("Keep a copy of this line off the machine (a cut after it shows):\n%s",
		       line);
	return EXIT_OK;
}

static int show(struct cli *c, struct depository *d, const struct audit_filter *f, bool json)
{
	struct show s = {json, json ? json_array() : NULL, 0};
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	if (json && !s.list)
		return EXIT_FAILED;
	rc = audit_log_list(d, f, show_event, &s, &err);
	if (rc == OK_ENOMEM && !err.code)
		ok_fail(&err, OK_ENOMEM, "out of memory");
	if (rc) {
		json_decref(s.list);
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (json) {
		json_dumpf(s.list, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(s.list);
	} else if (!s.shown) {
		printf("(no events)\n");
	}
	return EXIT_OK;
}

int cmd_audit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"actor", required_argument, NULL, 'a'},
	        {"since", required_argument, NULL, 's'},
	        {"after", required_argument, NULL, 'A'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *sub = argc > 1 ? argv[1] : "";
	struct audit_filter filter = {0};
	struct depository d;
	struct ok_error err;
	bool json = false;
	long long after;
	char *end;
	int opt, rc;

	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(audit_usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "verify") && strcmp(sub, "show") && strcmp(sub, "checkpoint"))
		return cli_usage_error(c, "expected a subcommand: verify, checkpoint or show");
	argc--;
	argv++;
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt != 'h' && opt != '?' && strcmp(sub, "show") != 0)
			return cli_usage_error(c, "audit %s takes no options", sub);
		switch (opt) {
		case 'l':
			if (!optarg[0] || strlen(optarg) > STORE_ID_MAX)
				return cli_usage_error(c, "--learner-id takes a learner id");
			filter.learner_id = optarg;
			break;
		case 'a':
			if (!optarg[0] || strlen(optarg) > AUDIT_TEXT_MAX)
				return cli_usage_error(c, "--actor takes an actor such as "
				                          "institution:21PB");
			filter.actor = optarg;
			break;
		case 's':
			ok_error_clear(&err);
			if (audit_parse_time(optarg, "--since", &filter.since_ms, &err))
				return cli_usage_error(c, "%s", err.message);
			break;
		case 'A':
			after = strtoll(optarg, &end, 10);
			if (*end || end == optarg || after < 0)
				return cli_usage_error(c, "--after takes a sequence number");
			filter.after_seq = after;
			break;
		case 'j':
			json = true;
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
	if (strcmp(sub, "verify") == 0)
		rc = verify(c, &d);
	else if (strcmp(sub, "checkpoint") == 0)
		rc = checkpoint(c, &d);
	else
		rc = show(c, &d, &filter, json);
	depository_close(&d);
	return rc;
}
