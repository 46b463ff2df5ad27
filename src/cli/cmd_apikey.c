/* oorkonde apikey add|list|revoke: the API keys of institutions (and keys bound to none). */
#include "cli/cli.h"
#include "cli/term.h"
#include "registry/institution.h"

#include <sodium.h>
#include <string.h>

static const char apikey_usage[] =
        "Usage: oorkonde [--data DIR] apikey add [--institution CODE] [--permit LIST]\n"
        "       oorkonde [--data DIR] apikey list [--institution CODE] [--json]\n"
        "       oorkonde [--data DIR] apikey revoke KEY_ID\n\n"
        "API keys let registrars and other systems use the HTTP API. (The depository's own\n"
        "signing and data keys are `oorkonde keys`.)\n\n"
        "add creates a key and prints it once; only its hash is stored.\n"
        "list shows every key: id, institution, permissions, created, last used (to the\n"
        "minute) and its state: active, blocked (by leak detection; see `institution\n"
        "unblock-key`) or revoked. Never the key itself.\n"
        "revoke ends a key for good: a running server refuses it (401) from the next request.\n\n"
        "  --institution CODE  the institution the key acts for (add: without it, a key bound\n"
        "                      to no institution, e.g. for the VC-API issue endpoint; list: only\n"
        "                      that institution's keys)\n"
        "  --permit LIST       comma-separated permissions: register, read, vc-issue, export,\n"
        "                      verify (OpenID4VP verifier requests)\n"
        "                      (default register,read; no key makes sign-in links: the\n"
        "                      operator does, with `learner login-link`)\n"
        "  --json              list: a JSON array of keys\n"
        "  --help              print this help\n";

/* Parses --institution, --permit (add only), --json (list only) and --help; returns -1 after
 * printing help or a usage error (exit code in *exit_code). */
static int options(struct cli *c, int argc, char **argv, const char **code, const char **permit,
                   bool *json, int *exit_code)
{
	static const struct option opts[] = {
	        {"institution", required_argument, NULL, 'i'},
	        {"permit", required_argument, NULL, 'p'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 'i' && code) {
			*code = optarg;
		} else if (opt == 'p' && permit) {
			*permit = optarg;
		} else if (opt == 'j' && json) {
			*json = true;
		} else if (opt == 'h') {
			fputs(apikey_usage, stdout);
			*exit_code = EXIT_OK;
			return -1;
		} else {
			*exit_code = cli_usage_error(c, "unknown option");
			return -1;
		}
	}
	return 0;
}

static int apikey_add(struct cli *c, int argc, char **argv)
{
	const char *code = NULL, *permit = "register,read";
	char key[API_KEY_TEXT_MAX + 1];
	struct depository d;
	struct ok_error err;
	int rc, exit_code;

	if (options(c, argc, argv, &code, &permit, NULL, &exit_code) < 0)
		return exit_code;
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_apikey_add(&d, code, permit, key, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("API key for %s with %s (shown once, store it safely): %s\n",
	       code ? code : "no institution", permit, key);
	sodium_memzero(key, sizeof(key));
	return EXIT_OK;
}

struct key_listing {
	bool json;
	size_t count;
};

static const char *key_state(const struct store_api_key_info *k)
{
	return k->revoked_ms ? "revoked" : k->blocked_ms ? "blocked" : "active";
}

static int print_key(void *ctx, const struct store_api_key_info *k)
{
	struct key_listing *l = ctx;
	char created[32], used[32];

	term_time(k->created_ms, created);
	term_time(k->last_used_ms, used);
	if (l->json) {
		printf("%s\n  {\"id\": ", l->count ? "," : "");
		cli_json_string(stdout, k->id);
		printf(", \"institution\": ");
		if (k->institution[0])
			cli_json_string(stdout, k->institution);
		else
			printf("null");
		printf(", \"permissions\": ");
		cli_json_string(stdout, k->permissions);
		printf(", \"created\": \"%s\", \"last_used\": ", created);
		if (k->last_used_ms)
			printf("\"%s\"", used);
		else
			printf("null");
		printf(", \"state\": \"%s\"", key_state(k));
		if (k->revoked_ms) {
			term_time(k->revoked_ms, used);
			printf(", \"revoked\": \"%s\"", used);
		}
		printf("}");
	} else {
		if (!l->count)
			printf("%-24s %-8s %-24s %-20s %-20s %s\n", "KEY", "INST", "PERMISSIONS",
			       "CREATED", "LAST USED", "STATE");
		printf("%-24s %-8s %-24s %-20s %-20s %s\n", k->id,
		       k->institution[0] ? k->institution : "-", k->permissions, created, used,
		       key_state(k));
	}
	l->count++;
	return 0;
}

static int apikey_list(struct cli *c, int argc, char **argv)
{
	struct key_listing l = {0};
	const char *code = NULL;
	struct depository d;
	struct ok_error err;
	int rc, exit_code;

	if (options(c, argc, argv, &code, NULL, &l.json, &exit_code) < 0)
		return exit_code;
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	if (l.json)
		printf("[");
	rc = registry_apikey_list(&d, code, print_key, &l, &err);
	depository_close(&d);
	if (rc) {
		if (l.json)
			printf("]\n");
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (l.json)
		printf("%s]\n", l.count ? "\n" : "");
	else if (!l.count)
		printf("(no API keys)\n");
	return EXIT_OK;
}

static int apikey_revoke(struct cli *c, int argc, char **argv)
{
	struct depository d;
	struct ok_error err;
	int rc, exit_code;

	if (options(c, argc, argv, NULL, NULL, NULL, &exit_code) < 0)
		return exit_code;
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one KEY_ID (see `oorkonde apikey list`)");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_apikey_revoke(&d, argv[optind], &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND || rc == OK_ECONFLICT ? EXIT_REJECTED : EXIT_FAILED;
	}
	printf("API key %s revoked\n", argv[optind]);
	return EXIT_OK;
}

int cmd_apikey(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"add", "oorkonde apikey add", apikey_add},
	        {"list", "oorkonde apikey list", apikey_list},
	        {"revoke", "oorkonde apikey revoke", apikey_revoke},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), apikey_usage,
	                      "expected a subcommand: add, list or revoke");
}
