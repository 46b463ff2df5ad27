/* oorkonde store migrate: move the data folder's records from SQLite to PostgreSQL. */
#include "cli/cli.h"
#include "registry/migrate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char store_usage[] =
        "Usage: oorkonde [--data DIR] store migrate --to URL\n\n"
        "migrate moves the data folder's records from its SQLite database (oorkonde.db) into\n"
        "a new, empty PostgreSQL database: URL is a postgresql:// URL or a libpq connection\n"
        "string (keep the password in PGPASSFILE or PGPASSWORD, not in URL). Stop the\n"
        "servers and imports of the folder first: while it runs, writers of oorkonde.db get\n"
        "\"busy\". It copies every table in one transaction on each side, then checks the row\n"
        "count of each table and the audit chain (and its signed checkpoints) on the target;\n"
        "only then config.json's \"store\" names URL. It refuses a target that holds any\n"
        "oorkonde records or a newer schema, and after any failure config.json and\n"
        "oorkonde.db are unchanged and the target holds no records. oorkonde.db is left in\n"
        "place, unused, marked as moved: a server still running on it answers every\n"
        "request with 503 store-moved until it is restarted. Remove it (with oorkonde.db-wal\n"
        "and oorkonde.db-shm) once the servers run on PostgreSQL. The keys stay in the data\n"
        "folder.\n\n"
        "  --to URL   the PostgreSQL database to move to (never printed)\n"
        "  --help     print this help\n";

/* Shown only for stores big enough to take a while: a line per 100,000 rows and per table. */
#define PROGRESS_MIN_ROWS  100000
#define PROGRESS_LINE_ROWS 100000

struct progress_state {
	int64_t last;
};

static void show_progress(void *ctx, const char *table, int64_t table_done, int64_t done,
                          int64_t total)
{
	struct progress_state *p = ctx;

	(void)table_done;
	if (total < PROGRESS_MIN_ROWS || (done - p->last < PROGRESS_LINE_ROWS && done != total))
		return;
	if (done == p->last)
		return;
	p->last = done;
	fprintf(stderr, "oorkonde store migrate: %" PRId64 " of %" PRId64 " rows (%d%%), at %s\n",
	        done, total, (int)(done * 100 / total), table);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int store_migrate(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"to", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct registry_migrate_result result;
	struct progress_state progress = {0};
	const char *to = NULL;
	struct depository d;
	struct ok_error err;
	double started;
	size_t i;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 't':
			to = optarg;
			break;
		case 'h':
			fputs(store_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "store migrate takes no arguments besides --to URL");
	if (!to || !to[0])
		return cli_usage_error(c, "store migrate needs --to URL (the PostgreSQL database)");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	started = now_s();
	rc = registry_store_migrate(&d, to, show_progress, &progress, &result, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		fprintf(stderr,
		        "%s: nothing was moved: config.json and oorkonde.db are unchanged\n",
		        c->prog);
		return EXIT_FAILED;
	}
	printf("Moved %" PRId64 " rows from oorkonde.db to PostgreSQL in %.1f s:\n",
	       result.copied.rows, now_s() - started);
	for (i = 0; i < result.copied.ntables; i++)
		if (result.copied.tables[i].rows)
			printf("  %-24s %" PRId64 "\n", result.copied.tables[i].name,
			       result.copied.tables[i].rows);
	printf("Row counts equal in every table; audit chain on PostgreSQL: %lld events, intact, "
	       "%lld checkpoint%s verified.\n",
	       (long long)result.audit.events, (long long)result.audit.checkpoints,
	       result.audit.checkpoints == 1 ? "" : "s");
	printf("config.json now uses the PostgreSQL store. %s/oorkonde.db is left in place but\n"
	       "is no longer used: remove it (and oorkonde.db-wal, oorkonde.db-shm) once the\n"
	       "servers run on PostgreSQL. A server still running on it takes no more writes:\n"
	       "restart it.\n",
	       c->data_dir);
	return EXIT_OK;
}

int cmd_store(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"migrate", "oorkonde store migrate", store_migrate},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), store_usage,
	                      "expected a subcommand: migrate");
}
