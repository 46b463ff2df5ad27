/* oorkonde init: create a data folder. */
#include "cli/cli.h"
#include "registry/init.h"

#include <stdio.h>

static const char init_usage[] =
        "Usage: oorkonde [--data DIR] init [--host HOST] [--name NAME] [--store URL]\n\n"
        "Creates the data folder: the SQLite database, the data key that seals personal data,\n"
        "the depository's Ed25519 issuer key (both 0600) and config.json. Refuses to touch a\n"
        "folder that exists and is not empty.\n\n"
        "  --host HOST   the host name the depository is reached at; its identity is then\n"
        "                did:web:HOST (without it, did:key)\n"
        "  --name NAME   the depository's name, e.g. \"Dienst Uitvoering Onderwijs\": the\n"
        "                issuer's name in its credentials and the name on its pages\n"
        "                (default \"oorkonde depository\"; later: \"name\" in config.json)\n"
        "  --store URL   keep the records in PostgreSQL instead of the folder's SQLite\n"
        "                database: postgresql://USER@HOST/DB or a libpq connection string\n"
        "                (\"host=... dbname=...\", libpq's keywords only); the database\n"
        "                must exist and be empty, one database per depository. The URL\n"
        "                is kept in config.json (\"store\"): keep passwords out of it and\n"
        "                in a password file (PGPASSFILE, ~/.pgpass). The keys stay in the\n"
        "                folder.\n"
        "  --help        print this help\n";

int cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"host", required_argument, NULL, 'H'},
	        {"name", required_argument, NULL, 'n'},
	        {"store", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *host = NULL, *name = NULL, *store = NULL;
	struct init_result made;
	struct ok_error err;
	int opt;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'H':
			host = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'h':
			fputs(init_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	ok_error_clear(&err);
	if (registry_init(c->data_dir, host, name, store, &made, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (made.store_password)
		fprintf(stderr,
		        "warning: the --store URL holds a password, now in %s/config.json; "
		        "a password file (PGPASSFILE, ~/.pgpass) keeps it out of the config\n",
		        c->data_dir);
	printf("Created data folder %s\n", c->data_dir);
	/* Not the URL: it may hold a password. */
	if (store)
		printf("  database     PostgreSQL (\"store\" in config.json)\n");
	else
		printf("  database     %s/oorkonde.db\n", c->data_dir);
	printf("  data key     %s/data.key (keep it secret, back it up apart from the database)\n",
	       c->data_dir);
	printf("  issuer key   %s/issuer.key\n", c->data_dir);
	printf("  wallet key   %s/wallet.key, chain %s/wallet-chain.pem (a local CA's; "
	       "keys install-wallet-cert installs a CA-issued one)\n",
	       c->data_dir, c->data_dir);
	if (made.opened)
		printf("  name         %s\n", made.name);
	if (made.has_did)
		printf("  identity     %s%s\n", made.did,
		       host ? "" : " (no --host given: a did:key)");
	return EXIT_OK;
}
