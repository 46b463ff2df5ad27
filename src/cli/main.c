/* The oorkonde command: global options, then the subcommand's handler. */
#include "cli/cli.h"
#include "elmo/elmo.h"
#include "remote/http_client.h"
#include "ok_version.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct cli_command commands[] = {
        {"init", "create a data folder (database, keys, configuration)", cmd_init},
        {"demo", "seed the demo dataset (idempotent)", cmd_demo},
        {"institution", "add and list institutions; read limits and blocked keys", cmd_institution},
        {"import", "register results from a CSV file", cmd_import},
        {"achievements", "show a learner and everything registered for them", cmd_achievements},
        {"issue", "write a signed credential for an achievement", cmd_issue},
        {"verify", "check a credential and explain each check", cmd_verify},
        {"present", "sign a presentation of credentials for another verifier", cmd_present},
        {"revoke", "revoke an achievement (final)", cmd_status},
        {"suspend", "suspend an achievement", cmd_status},
        {"reinstate", "lift a suspension", cmd_status},
        {"identity", "print the depository's DID and DID document", cmd_identity},
        {"trust", "the trust list: add, list, remove issuers", cmd_trust},
        {"import-credential", "keep another depository's credential for a learner",
         cmd_import_credential},
        {"apikey", "API keys: add, list, revoke", cmd_apikey},
        {"audit", "check the audit log's hash chain and checkpoints, or list events", cmd_audit},
        {"learner", "a learner: access report (GDPR art. 15), login link, erasure", cmd_learner},
        {"oidc", "the OpenID providers learners sign in with: client key, check", cmd_oidc},
        {"share", "a learner's shares: create, list, revoke", cmd_share},
        {"wallet", "offer a learner's results to their wallet (OpenID4VCI)", cmd_wallet},
        {"keys", "rotate and retire the data and signing keys", cmd_keys},
        {"export", "a learner's results as a signed ELMO document (EMREX)", cmd_export},
        {"import-elmo", "keep a signed ELMO document from abroad (EMREX) for a learner",
         cmd_import_elmo},
        {"emrex", "the EMREX registry of contact points: import, list", cmd_emrex},
        {"backup", "back up the records while serving (keys apart)", cmd_backup},
        {"restore", "restore a backup into a new data folder and check it", cmd_restore},
        {"retention", "the retention schedule: plan, run, runs, certificates", cmd_retention},
        {"hold", "legal holds that keep records from destruction", cmd_hold},
        {"store", "move the records from SQLite to PostgreSQL (store migrate)", cmd_store},
        {"serve", "serve the web pages and the HTTP API (registrar, VC-API, DID, metrics)",
         cmd_serve},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: oorkonde [--data DIR] COMMAND [OPTIONS]\n\n"
	           "A digital student-data depository.\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
	           "  --data DIR         the data folder (default: $OORKONDE_DATA, else "
	           "./oorkonde-data)\n"
	           "  --version          print the version\n"
	           "  --help             print this help\n\n"
	           "Run 'oorkonde COMMAND --help' for a command's options.\n");
}

/* Takes --data DIR / --data=DIR out of argv wherever it stands before "--". */
static int take_data_option(int *argc, char **argv, const char **data)
{
	int i, j;

	for (i = 1; i < *argc; i++) {
		int used = 0;
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--data") == 0) {
			if (i + 1 >= *argc)
				return -1;
			*data = argv[i + 1];
			used = 2;
		} else if (strncmp(argv[i], "--data=", 7) == 0) {
			*data = argv[i] + 7;
			used = 1;
		}
		if (used) {
			for (j = i; j + used <= *argc; j++)
				argv[j] = argv[j + used];
			*argc -= used;
			i--;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	char prog[64];
	const char *env;
	size_t i;

	/* Everything oorkonde writes (database, keys, error files) is for its owner only. */
	umask(077);
	if (sodium_init() < 0) {
		fprintf(stderr, "oorkonde: cannot initialise libsodium\n");
		return EXIT_FAILED;
	}
	/* libcurl's global set-up must happen before any thread starts. */
	if (remote_http_global_init(NULL) != 0) {
		fprintf(stderr, "oorkonde: cannot initialise libcurl\n");
		return EXIT_FAILED;
	}
	atexit(remote_http_global_cleanup);
	/* libxml2 and xmlsec (ELMO documents) likewise keep process-wide state. */
	if (elmo_global_init(NULL) != 0) {
		fprintf(stderr, "oorkonde: cannot initialise the XML signature library\n");
		return EXIT_FAILED;
	}
	atexit(elmo_global_release);
	env = getenv("OORKONDE_DATA");
	c.data_dir = env && env[0] ? env : "./oorkonde-data";
	c.prog = "oorkonde";
#ifdef OK_TEST_HOOKS
	/* For bench/audit only (docs/benchmarks.md); a build without -Dtest_hooks=true has no
	 * such switch, so a server's audit log cannot be turned off from its environment. */
	env = getenv("OORKONDE_BENCH_AUDIT_OFF");
	c.bench_audit_off = env && strcmp(env, "1") == 0;
#endif
	if (take_data_option(&argc, argv, &c.data_dir) != 0)
		return cli_usage_error(&c, "--data needs a folder");
	if (argc < 2) {
		usage(stderr);
		return EXIT_FAILED;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("oorkonde %s\n", OK_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			/* Command names are short words: prog (64) holds them. */
			snprintf(prog, sizeof(prog), "oorkonde %s", commands[i].name);
			c.prog = prog;
			optind = 1;
			return commands[i].run(&c, argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "oorkonde: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_FAILED;
}
