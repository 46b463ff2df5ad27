/* oorkonde institution: register an institution and print its first API key; the limits of
 * leak detection (read limits, blocked keys). */
#include "cli/cli.h"
#include "cli/term.h"
#include "registry/institution.h"
#include "registry/leak.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char institution_usage[] =
        "Usage: oorkonde [--data DIR] institution add --code CODE --name NAME --country CC\n"
        "                                 [--erasmus CODE] [--schac DOMAIN] [--permit LIST]\n"
        "       oorkonde [--data DIR] institution list [--json]\n"
        "       oorkonde [--data DIR] institution set-read-limit CODE N [--window SECONDS]\n"
        "       oorkonde [--data DIR] institution read-limit CODE\n"
        "       oorkonde [--data DIR] institution blocked-keys\n"
        "       oorkonde [--data DIR] institution unblock-key KEY_ID\n\n"
        "add adds an institution and prints a new API key for it, once: only its hash is stored.\n"
        "list shows every institution (code, country, name, Erasmus code, SCHAC domain); its\n"
        "API keys are listed by `oorkonde apikey list --institution CODE`.\n\n"
        "Leak detection: each API key may read the personal data of at most N distinct learners\n"
        "in a sliding window (default 1000 an hour). The read past the limit is refused (429)\n"
        "and blocks the key (403 for every request) until unblock-key lifts the block.\n"
        "set-read-limit sets N (and the window) for an institution's keys; read-limit shows it;\n"
        "blocked-keys lists the blocked keys; unblock-key lifts a block and starts the key's\n"
        "window afresh.\n\n"
        "  --code CODE      the national code (e.g. a Dutch BRIN such as 21PB)\n"
        "  --name NAME      the institution's name\n"
        "  --country CC     ISO 3166-1 alpha-2 country code, e.g. NL\n"
        "  --erasmus CODE   Erasmus code, e.g. \"NL GRONING01\"\n"
        "  --schac DOMAIN   SCHAC home organisation, e.g. rug.nl\n"
        "  --permit LIST    the key's permissions (default register,read; also vc-issue,\n"
        "                   export)\n"
        "  --window SECONDS the window of set-read-limit (default 3600; at most 604800)\n"
        "  --help           print this help\n";

static int institution_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"code", required_argument, NULL, 'c'},
	        {"name", required_argument, NULL, 'n'},
	        {"country", required_argument, NULL, 'C'},
	        {"erasmus", required_argument, NULL, 'e'},
	        {"schac", required_argument, NULL, 's'},
	        {"permit", required_argument, NULL, 'p'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct institution_input in = {0};
	struct depository d;
	struct ok_error err;
	char key[API_KEY_TEXT_MAX + 1];
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'c':
			in.code = optarg;
			break;
		case 'n':
			in.name = optarg;
			break;
		case 'C':
			in.country = optarg;
			break;
		case 'e':
			in.erasmus = optarg;
			break;
		case 's':
			in.schac = optarg;
			break;
		case 'p':
			in.permissions = optarg;
			break;
		case 'h':
			fputs(institution_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!in.code || !in.name || !in.country)
		return cli_usage_error(c, "--code, --name and --country are required");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_institution_add(&d, &in, key, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("Added institution %s (", in.code);
	term_put(stdout, in.name);
	printf(", %s)\n", in.country);
	printf("API key (shown once, store it safely): %s\n", key);
	sodium_memzero(key, sizeof(key));
	return EXIT_OK;
}

struct institution_listing {
	bool json;
	size_t count;
};

static int print_institution(void *ctx, const struct store_institution *i)
{
	struct institution_listing *l = ctx;
	char name[256];

	if (l->json) {
		printf("%s\n  {\"code\": ", l->count++ ? "," : "");
		cli_json_string(stdout, i->code);
		printf(", \"name\": ");
		cli_json_string(stdout, i->name);
		printf(", \"country\": ");
		cli_json_string(stdout, i->country);
		printf(", \"erasmus\": ");
		cli_json_string(stdout, i->erasmus);
		printf(", \"schac\": ");
		cli_json_string(stdout, i->schac);
		printf("}");
		return 0;
	}
	if (!l->count++)
		printf("%-10s %-7s %-40s %-16s %s\n", "CODE", "COUNTRY", "NAME", "ERASMUS",
		       "SCHAC");
	printf("%-10s %-7s %-40s %-16s %s\n", i->code, i->country,
	       term_safe(i->name, name, sizeof(name)), i->erasmus[0] ? i->erasmus : "-",
	       i->schac[0] ? i->schac : "-");
	return 0;
}

static int institution_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct institution_listing l = {0};
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'j':
			l.json = true;
			break;
		case 'h':
			fputs(institution_usage, stdout);
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
	if (l.json)
		printf("[");
	rc = registry_institution_list(&d, print_institution, &l, &err);
	depository_close(&d);
	if (l.json)
		printf("%s]\n", l.count ? "\n" : "");
	else if (!rc && !l.count)
		printf("(no institutions; add one with `oorkonde institution add`)\n");
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* A whole number from min to max, or -1. */
static int64_t count_arg(const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	if (!s[0] || s[0] == '-' || s[0] == '+')
		return -1;
	v = strtoll(s, &end, 10);
	return *end || v < min || v > max ? -1 : (int64_t)v;
}

/* Parses the options of the leak-detection subcommands (only --window and --help take part);
 * returns -1 after printing help, or the number of positional arguments at argv + optind. */
static int leak_options(struct cli *c, int argc, char **argv, const char **window, int *exit_code)
{
	static const struct option opts[] = {
	        {"window", required_argument, NULL, 'w'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int opt;

	*exit_code = EXIT_OK;
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'w':
			if (!window) {
				*exit_code =
				        cli_usage_error(c, "--window belongs to set-read-limit");
				return -1;
			}
			*window = optarg;
			break;
		case 'h':
			fputs(institution_usage, stdout);
			return -1;
		default:
			*exit_code = cli_usage_error(c, "unknown option");
			return -1;
		}
	}
	return argc - optind;
}

/* Ends a command: prints err when rc is set (not found is "refused": exit 1). */
static int finish(struct cli *c, int rc, const struct ok_error *err)
{
	if (!rc)
		return EXIT_OK;
	cli_print_error(c, err);
	return rc == OK_ENOTFOUND || rc == OK_EINPUT ? EXIT_REJECTED : EXIT_FAILED;
}

static int set_read_limit(struct cli *c, int argc, char **argv)
{
	const char *window = NULL;
	struct depository d;
	struct ok_error err;
	int64_t learners, window_s = LEAK_DEFAULT_WINDOW_S;
	int n, rc, code;

	if ((n = leak_options(c, argc, argv, &window, &code)) < 0)
		return code;
	if (n != 2)
		return cli_usage_error(c, "expected CODE and N, the number of learners");
	if ((learners = count_arg(argv[optind + 1], 1, LEAK_MAX_LEARNERS)) < 0)
		return cli_usage_error(c, "N must be a whole number of learners from 1 to %d",
		                       LEAK_MAX_LEARNERS);
	if (window && (window_s = count_arg(window, 1, LEAK_MAX_WINDOW_S)) < 0)
		return cli_usage_error(c, "--window must be 1 to %d seconds", LEAK_MAX_WINDOW_S);
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = leak_limit_set(&d, argv[optind], learners, window_s, &err);
	depository_close(&d);
	if (!rc)
		printf("Keys of %s may read the personal data of %" PRId64
		       " learners in any %" PRId64 " s\n",
		       argv[optind], learners, window_s);
	return finish(c, rc, &err);
}

static int read_limit(struct cli *c, int argc, char **argv)
{
	struct leak_limit limit;
	struct depository d;
	struct ok_error err;
	int n, rc, code;

	if ((n = leak_options(c, argc, argv, NULL, &code)) < 0)
		return code;
	if (n != 1)
		return cli_usage_error(c, "expected one institution CODE");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = leak_institution_limit(&d, argv[optind], &limit, &err);
	depository_close(&d);
	if (!rc)
		printf("Keys of %s may read the personal data of %" PRId64
		       " learners in any %" PRId64 " s%s\n",
		       argv[optind], limit.learners, limit.window_s,
		       limit.is_default ? " (the default)" : "");
	return finish(c, rc, &err);
}

static int print_block(void *ctx, const struct store_key_block *b)
{
	time_t t = (time_t)(b->blocked_ms / 1000);
	char when[32];
	struct tm tm;

	(*(size_t *)ctx)++;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-24s %-12s blocked %s after %" PRId64 " learners in %" PRId64 " s\n", b->key_id,
	       b->institution[0] ? b->institution : "-", when, b->learners, b->window_s);
	return 0;
}

static int blocked_keys(struct cli *c, int argc, char **argv)
{
	struct depository d;
	struct ok_error err;
	size_t shown = 0;
	int n, rc, code;

	if ((n = leak_options(c, argc, argv, NULL, &code)) < 0)
		return code;
	if (n != 0)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = leak_blocked_list(&d, print_block, &shown, &err);
	depository_close(&d);
	if (!rc && !shown)
		printf("(no blocked keys)\n");
	return finish(c, rc, &err);
}

static int unblock_key(struct cli *c, int argc, char **argv)
{
	struct depository d;
	struct ok_error err;
	int n, rc, code;

	if ((n = leak_options(c, argc, argv, NULL, &code)) < 0)
		return code;
	if (n != 1)
		return cli_usage_error(c, "expected one KEY_ID (see blocked-keys)");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = leak_unblock(&d, argv[optind], &err);
	depository_close(&d);
	if (!rc)
		printf("Key %s unblocked; its count of learners read starts afresh\n",
		       argv[optind]);
	return finish(c, rc, &err);
}

int cmd_institution(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"add", "oorkonde institution add", institution_add},
	        {"list", "oorkonde institution list", institution_list},
	        {"set-read-limit", "oorkonde institution set-read-limit", set_read_limit},
	        {"read-limit", "oorkonde institution read-limit", read_limit},
	        {"blocked-keys", "oorkonde institution blocked-keys", blocked_keys},
	        {"unblock-key", "oorkonde institution unblock-key", unblock_key},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]),
	                      institution_usage,
	                      "expected a subcommand: add, list, set-read-limit, read-limit, "
	                      "blocked-keys or unblock-key");
}
