/* oorkonde trust add / list / remove: the local trust list of issuers. */
#include "cli/cli.h"
#include "registry/trust.h"

#include <string.h>

static const char trust_usage[] =
        "Usage: oorkonde [--data DIR] trust add DID --name NAME --country CC\n"
        "       oorkonde [--data DIR] trust list [--json]\n"
        "       oorkonde [--data DIR] trust remove DID\n\n"
        "The issuers (depositories) whose credentials this depository accepts. The depository\n"
        "itself is always trusted.\n";

struct trust_listing {
	bool json;
	size_t n;
};

static int print_trusted(void *ctx, const struct store_trusted_issuer *t)
{
	struct trust_listing *l = ctx;

	if (l->json) {
		printf("%s\n  {\"id\": ", l->n ? "," : "");
		cli_json_string(stdout, t->did);
		printf(", \"name\": ");
		cli_json_string(stdout, t->name);
		printf(", \"country\": ");
		cli_json_string(stdout, t->country);
		printf(", \"source\": ");
		cli_json_string(stdout, t->source);
		printf(", \"status\": ");
		cli_json_string(stdout, t->status);
		printf("}");
	} else {
		printf("%-50s %-2s %-9s %s\n", t->did, t->country, t->status, t->name);
	}
	l->n++;
	return 0;
}

int cmd_trust(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {"country", required_argument, NULL, 'C'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *sub = argc > 1 ? argv[1] : "", *name = NULL, *country = NULL;
	struct trust_listing l = {0};
	struct depository d;
	struct ok_error err;
	int opt, rc;

	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "remove")) {
		if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
			fputs(trust_usage, stdout);
			return EXIT_OK;
		}
		return cli_usage_error(c, "expected a subcommand: add, list or remove");
	}
	argc--;
	argv++;
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'C':
			country = optarg;
			break;
		case 'j':
			l.json = true;
			break;
		case 'h':
			fputs(trust_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (strcmp(sub, "list") ? optind + 1 != argc : optind != argc)
		return cli_usage_error(c, strcmp(sub, "list") ? "expected one DID"
		                                              : "list takes no arguments");
	if (!strcmp(sub, "add") && (!name || !country))
		return cli_usage_error(c, "trust add needs --name and --country");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	if (!strcmp(sub, "add")) {
		rc = registry_trust_add(&d, argv[optind], name, country, &err);
		if (!rc)
			printf("Trusted %s (%s, %s)\n", argv[optind], name, country);
	} else if (!strcmp(sub, "remove")) {
		rc = registry_trust_remove(&d, argv[optind], &err);
		if (!rc)
			printf("Removed %s from the trust list\n", argv[optind]);
	} else {
		if (l.json)
			printf("[");
		rc = d.store->ops->trust_list(d.store, print_trusted, &l, &err);
		if (l.json)
			printf("%s]\n", l.n ? "\n" : "");
		else if (!rc && !l.n)
			printf("(the trust list is empty; this depository trusts itself)\n");
	}
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	return EXIT_OK;
}
