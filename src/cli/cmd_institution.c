/* oorkonde institution add: register an institution and print its first API key. */
#include "cli/cli.h"
#include "registry/institution.h"

#include <sodium.h>
#include <string.h>

static const char institution_usage[] =
        "Usage: oorkonde [--data DIR] institution add --code CODE --name NAME --country CC\n"
        "                                 [--erasmus CODE] [--schac DOMAIN] [--permit LIST]\n\n"
        "Adds an institution and prints a new API key for it, once: only its hash is stored.\n\n"
        "  --code CODE      the national code (e.g. a Dutch BRIN such as 21PB)\n"
        "  --name NAME      the institution's name\n"
        "  --country CC     ISO 3166-1 alpha-2 country code, e.g. NL\n"
        "  --erasmus CODE   Erasmus code, e.g. \"NL GRONING01\"\n"
        "  --schac DOMAIN   SCHAC home organisation, e.g. rug.nl\n"
        "  --permit LIST    the key's permissions (default register,read; also vc-issue, export)\n"
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
	printf("Added institution %s (%s, %s)\n", in.code, in.name, in.country);
	printf("API key (shown once, store it safely): %s\n", key);
	sodium_memzero(key, sizeof(key));
	return EXIT_OK;
}

int cmd_institution(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0) {
		c->prog = "oorkonde institution add";
		return institution_add(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(institution_usage, stdout);
		return EXIT_OK;
	}
	return cli_usage_error(c, "expected a subcommand: add");
}
