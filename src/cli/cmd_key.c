/* oorkonde key add: create another API key (for an institution, or an operator key). */
#include "cli/cli.h"
#include "registry/institution.h"

#include <sodium.h>
#include <string.h>

static const char key_usage[] =
        "Usage: oorkonde [--data DIR] key add [--institution CODE] [--permit LIST]\n\n"
        "Creates an API key and prints it once; only its hash is stored.\n\n"
        "  --institution CODE  the institution the key acts for (without it: a key bound to no\n"
        "                      institution, e.g. for the VC-API issue endpoint)\n"
        "  --permit LIST       comma-separated permissions: register, read, vc-issue, export\n"
        "                      (default register,read; no key makes sign-in links: the\n"
        "                      operator does, with `learner login-link`)\n"
        "  --help              print this help\n";

static int key_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"institution", required_argument, NULL, 'i'},
	        {"permit", required_argument, NULL, 'p'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *code = NULL, *permit = "register,read";
	char key[API_KEY_TEXT_MAX + 1];
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'i':
			code = optarg;
			break;
		case 'p':
			permit = optarg;
			break;
		case 'h':
			fputs(key_usage, stdout);
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
	rc = registry_key_add(&d, code, permit, key, &err);
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

int cmd_key(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0) {
		c->prog = "oorkonde key add";
		return key_add(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(key_usage, stdout);
		return EXIT_OK;
	}
	return cli_usage_error(c, "expected a subcommand: add");
}
