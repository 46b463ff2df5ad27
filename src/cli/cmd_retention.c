/* oorkonde retention plan|run|runs: the retention schedule of config.json applied to the
 * records (registry/retention.h). */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "core/clock.h"
#include "registry/retention.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char retention_usage[] =
        "Usage: oorkonde [--data DIR] retention plan [--json]\n"
        "       oorkonde [--data DIR] retention run [--dry-run] [--batch N] [--transfer-to DIR]\n"
        "       oorkonde [--data DIR] retention runs [--json]\n"
        "       oorkonde [--data DIR] retention certificates [RUN_ID [-o FILE]]\n\n"
        "The retention schedule (config.json \"retention\"; defaults in docs/operations.md) says\n"
        "how long each class of record is kept, from which date, and what happens after.\n\n"
        "plan shows per class its rule, how many records are due now, how many of those a\n"
        "legal hold keeps (`oorkonde hold`), and the day the next one falls due, and names\n"
        "audit events due that no longer fit the chain (a run stops at them). A rule with\n"
        "trigger learner_age opens every learner's sealed birth date: one audited read.\n"
        "run destroys what is due, in batches of --batch records (500 by default) a\n"
        "transaction each: results (their credentials revoked on the status lists first),\n"
        "foreign achievements, shares with their openings, sessions, login links and\n"
        "wallet offers, then learners left without any record; the audit events about them\n"
        "keep their place and hash as tombstones. Deleted bytes are overwritten and the SQLite\n"
        "write-ahead log emptied. A run cut short goes on where it stopped at the next run,\n"
        "with the same totals. --dry-run prints what run would destroy and changes nothing.\n"
        "runs lists the runs: when, by whom, counts per class, the audit events covered.\n"
        "certificates lists each finished run's destruction certificate, a credential the\n"
        "depository signed (classes, counts, rules, when, by whom, the audit range; no\n"
        "personal data), kept for good; with RUN_ID it prints that certificate (or writes\n"
        "it to -o FILE), which `oorkonde verify` checks.\n\n"
        "  --json       plan, runs: JSON\n"
        "  --dry-run    run: show what is due, destroy nothing\n"
        "  --batch N    run: records per transaction, 1-100000\n"
        "  --transfer-to DIR  run: where results, foreign achievements and shares due for\n"
        "               transfer go: a package DIR/RUN_ID (records, their credentials, a\n"
        "               signed manifest of SHA-256 checksums) an archive can ingest; they\n"
        "               are then removed\n"
        "  -o FILE      certificates RUN_ID: write the certificate to FILE\n"
        "  --help       print this help\n";

/* Test only (builds with -Dtest_hooks=true): OORKONDE_TEST_NOW_MS sets the moment the schedule
 * is applied at, and OORKONDE_TEST_KILL_AFTER_BATCHES=N makes a run kill itself (SIGKILL) after
 * N batches, as a power cut would. */
static int64_t now_ms(void)
{
#ifdef OK_TEST_HOOKS
	const char *env = getenv("OORKONDE_TEST_NOW_MS");

	if (env && env[0])
		return strtoll(env, NULL, 10);
#endif
	return ok_now_ms();
}

static int open_with_schedule(struct cli *c, struct depository *d, struct retention_schedule *s)
{
	struct ok_error err;
	int rc;

	if ((rc = cli_open(c, d)))
		return rc;
	ok_error_clear(&err);
	if (registry_retention_schedule(d, s, &err)) {
		cli_print_error(c, &err);
		depository_close(d);
		return EXIT_FAILED;
	}
	return 0;
}

static void rule_text(const struct retention_rule *r, char *out, size_t cap)
{
	char period[32];

	if (r->permanent) {
		snprintf(out, cap, "permanent");
		return;
	}
	retention_period_format(&r->period, period, sizeof(period));
	snprintf(out, cap, "%s after %s, %s", period, retention_trigger_name(r->trigger),
	         retention_action_name(r->action));
}

static void print_plan(const struct retention_plan_row *rows, bool json)
{
	char rule[96];
	int c;

	if (json) {
		printf("[");
		for (c = 0; c < RETENTION_CLASS_COUNT; c++) {
			const struct retention_plan_row *r = &rows[c];
			rule_text(&r->rule, rule, sizeof(rule));
			printf("%s\n  {\"class\": \"%s\", \"rule\": ", c ? "," : "",
			       retention_class_name((enum retention_class)c));
			cli_json_string(stdout, rule);
			printf(", \"kept_here\": %s, \"due\": %lld, \"held\": %lld, \"cutoff\": ",
			       r->kept_here ? "true" : "false", (long long)r->due,
			       (long long)r->held);
			cli_json_string(stdout, r->cutoff);
			printf(", \"next_due\": ");
			cli_json_string(stdout, r->next);
			if (c == RETENTION_AUDIT_DETAIL)
				printf(", \"altered\": %lld, \"first_altered\": %lld",
				       (long long)r->altered, (long long)r->first_altered);
			printf("}");
		}
		printf("\n]\n");
		return;
	}
	printf("%-14s %-34s %8s %8s  %s\n", "CLASS", "RULE", "DUE", "HELD", "NEXT DUE");
	for (c = 0; c < RETENTION_CLASS_COUNT; c++) {
		const struct retention_plan_row *r = &rows[c];
		rule_text(&r->rule, rule, sizeof(rule));
		if (!r->kept_here)
			printf("%-14s %-34s %8s %8s  %s\n",
			       retention_class_name((enum retention_class)c), rule, "-", "-",
			       "(not kept by this depository)");
		else
			printf("%-14s %-34s %8lld %8lld  %s\n",
			       retention_class_name((enum retention_class)c), rule,
			       (long long)r->due, (long long)r->held, r->next[0] ? r->next : "-");
	}
	if (rows[RETENTION_AUDIT_DETAIL].altered)
		printf("audit_detail: %lld of the events due do not fit the audit chain "
		       "(the first: event %lld); a run stops there and destroys no details "
		       "of them: run `oorkonde audit verify`\n",
		       (long long)rows[RETENTION_AUDIT_DETAIL].altered,
		       (long long)rows[RETENTION_AUDIT_DETAIL].first_altered);
}

static int retention_plan(struct cli *c, int argc, char **argv, bool dry_run_header)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct retention_plan_row rows[RETENTION_CLASS_COUNT];
	struct retention_schedule s;
	struct depository d;
	struct ok_error err;
	bool json = false;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'n')
			continue;
		else if (opt == 'h') {
			fputs(retention_usage, stdout);
			return EXIT_OK;
		} else
			return cli_usage_error(c, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(c, "retention plan takes no arguments");
	if ((rc = open_with_schedule(c, &d, &s)))
		return rc;
	ok_error_clear(&err);
	rc = registry_retention_plan(&d, &s, now_ms(), AUDIT_OPERATOR, rows, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (dry_run_header)
		printf("Dry run: nothing was destroyed. A run now would destroy what is due:\n");
	print_plan(rows, json);
	return EXIT_OK;
}

static int cmd_plan(struct cli *c, int argc, char **argv)
{
	return retention_plan(c, argc, argv, false);
}

struct run_ctx {
	long kill_after;
};

static void on_batch(void *ctx, const struct retention_progress *p)
{
	struct run_ctx *run = ctx;

	if (run->kill_after > 0 && (long)p->batches >= run->kill_after)
		raise(SIGKILL);
}

static int cmd_run(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"dry-run", no_argument, NULL, 'n'},
	        {"batch", required_argument, NULL, 'b'},
	        {"transfer-to", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct retention_run_options o = {0};
	struct retention_progress p;
	struct retention_schedule s;
	struct run_ctx run = {0};
	struct depository d;
	struct ok_error err;
	int64_t total = 0;
	char *end;
	long batch;
	int opt, rc, i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			return retention_plan(c, argc, argv, true);
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 'b') {
			batch = strtol(optarg, &end, 10);
			if (!optarg[0] || *end || batch < 1 || batch > RETENTION_BATCH_MAX)
				return cli_usage_error(
				        c, "--batch must be a whole number from 1 to %d",
				        RETENTION_BATCH_MAX);
			o.batch = (size_t)batch;
		} else if (opt == 't') {
			o.transfer_dir = optarg;
		} else if (opt == 'h') {
			fputs(retention_usage, stdout);
			return EXIT_OK;
		} else {
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "retention run takes no arguments");
#ifdef OK_TEST_HOOKS
	{
		const char *env = getenv("OORKONDE_TEST_KILL_AFTER_BATCHES");
		run.kill_after = env ? atol(env) : 0;
	}
#endif
	o.actor = AUDIT_OPERATOR;
	o.on_batch = on_batch;
	o.ctx = &run;
	if ((rc = open_with_schedule(c, &d, &s)))
		return rc;
	ok_error_clear(&err);
	rc = registry_retention_run(&d, &s, now_ms(), &o, &p, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		if (p.batches || p.resumed)
			fprintf(stderr,
			        "%s: the batches done so far are kept; run it again to go on\n",
			        c->prog);
		return EXIT_FAILED;
	}
	printf("Retention run %s%s:\n", p.run_id, p.resumed ? " (resumed)" : "");
	for (i = 0; i < RETENTION_CLASS_COUNT; i++) {
		if (!p.destroyed[i])
			continue;
		printf("  %-14s %lld destroyed\n", retention_class_name((enum retention_class)i),
		       (long long)p.destroyed[i]);
		total += p.destroyed[i];
	}
	printf("  %-14s %lld destroyed (no record of theirs left)\n", "learners",
	       (long long)p.learners);
	printf("%lld records destroyed; audit events %lld-%lld\n", (long long)total,
	       (long long)p.audit_from, (long long)p.audit_to);
	return EXIT_OK;
}

struct runs_ctx {
	bool json;
	int n;
};

static int print_run(void *ctx, const struct store_retention_run *r)
{
	struct runs_ctx *rc = ctx;
	char started[32], finished[32];

	term_time(r->started_ms, started);
	term_time(r->finished_ms, finished);
	if (rc->json) {
		printf("%s\n  {\"id\": \"%s\", \"actor\": ", rc->n ? "," : "", r->id);
		cli_json_string(stdout, r->actor);
		printf(", \"started\": \"%s\", \"finished\": %s%s%s, \"counts\": %s, "
		       "\"schedule\": %s, \"audit_from\": %lld, \"audit_to\": %lld}",
		       started, r->finished_ms ? "\"" : "", r->finished_ms ? finished : "null",
		       r->finished_ms ? "\"" : "", r->counts, r->schedule, (long long)r->audit_from,
		       (long long)r->audit_to);
	} else {
		printf("%s  %s  %s  by ", r->id, started,
		       r->finished_ms ? finished : "(open)      ");
		term_put(stdout, r->actor);
		printf("  %s  audit %lld-%lld\n", r->counts, (long long)r->audit_from,
		       (long long)r->audit_to);
	}
	rc->n++;
	return 0;
}

/* Opens the depository, calls fn for each retention run and closes it again; prints the
 * error. With json_n (the count fn keeps), the runs are a JSON array. cmd_runs and
 * cmd_certificates share it. */
static int each_run(struct cli *c, store_run_fn fn, void *ctx, const int *json_n)
{
	struct depository d;
	struct ok_error err;
	int rc;

	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	if (json_n)
		printf("[");
	rc = registry_retention_runs(&d, fn, ctx, &err);
	if (json_n)
		printf("%s]\n", *json_n ? "\n" : "");
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int cmd_runs(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct runs_ctx ctx = {0};
	int opt;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 'j')
			ctx.json = true;
		else if (opt == 'h') {
			fputs(retention_usage, stdout);
			return EXIT_OK;
		} else
			return cli_usage_error(c, "unknown option");
	}
	if (optind != argc)
		return cli_usage_error(c, "retention runs takes no arguments");
	return each_run(c, print_run, &ctx, ctx.json ? &ctx.n : NULL);
}

struct cert_ctx {
	const char *run_id; /* NULL: list them all */
	const char *out;
	int found;
	int rc;
};

static int print_certificate(void *ctx, const struct store_retention_run *r)
{
	struct cert_ctx *cc = ctx;
	char finished[32];
	FILE *f;

	if (!r->certificate[0])
		return 0;
	if (!cc->run_id) {
		term_time(r->finished_ms, finished);
		printf("%s  %s  %s  audit %lld-%lld\n", r->id, finished, r->counts,
		       (long long)r->audit_from, (long long)r->audit_to);
		cc->found++;
		return 0;
	}
	if (strcmp(r->id, cc->run_id) != 0)
		return 0;
	cc->found++;
	if (!cc->out) {
		printf("%s\n", r->certificate);
		return 0;
	}
	if (!(f = fopen(cc->out, "w")) || fprintf(f, "%s\n", r->certificate) < 0) {
		if (f)
			fclose(f);
		cc->rc = -1;
		return 0;
	}
	if (fclose(f) != 0)
		cc->rc = -1;
	return 0;
}

static int cmd_certificates(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct cert_ctx cc = {0};
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "ho:", opts)) != -1) {
		if (opt == 'o') {
			cc.out = optarg;
		} else if (opt == 'h') {
			fputs(retention_usage, stdout);
			return EXIT_OK;
		} else {
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 == argc)
		cc.run_id = argv[optind];
	else if (optind != argc)
		return cli_usage_error(c, "retention certificates takes at most one RUN_ID");
	if (cc.out && !cc.run_id)
		return cli_usage_error(c, "-o needs a RUN_ID");
	if ((rc = each_run(c, print_certificate, &cc, NULL)))
		return rc;
	if (cc.rc) {
		fprintf(stderr, "%s: cannot write %s\n", c->prog, cc.out);
		return EXIT_FAILED;
	}
	if (cc.run_id && !cc.found) {
		fprintf(stderr, "%s: no finished retention run with that id\n", c->prog);
		return EXIT_REJECTED;
	}
	return EXIT_OK;
}

int cmd_retention(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"plan", "oorkonde retention plan", cmd_plan},
	        {"run", "oorkonde retention run", cmd_run},
	        {"runs", "oorkonde retention runs", cmd_runs},
	        {"certificates", "oorkonde retention certificates", cmd_certificates},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), retention_usage,
	                      "expected a subcommand: plan, run, runs or certificates");
}
