/* oorkonde trust add / list / remove: the local trust list of issuers. */
#include "cli/cli.h"
#include "cli/term.h"
#include "remote/http_client.h"
#include "keys/keyfile.h"
#include "registry/trust.h"
#include "vc/did.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char trust_usage[] =
        "Usage: oorkonde [--data DIR] trust add DID --name NAME --country CC\n"
        "       oorkonde [--data DIR] trust list [--json]\n"
        "       oorkonde [--data DIR] trust remove DID\n"
        "       oorkonde [--data DIR] trust import FILE|URL [--network DID]\n"
        "       oorkonde trust publish --key KEYFILE --members FILE [-o FILE]\n\n"
        "The issuers (depositories) whose credentials this depository accepts. The depository\n"
        "itself is always trusted.\n"
        "  add      trust an issuer (a local entry; it wins over the network's for the same DID)\n"
        "  list     the trust list, local and network entries\n"
        "  remove   remove a local entry\n"
        "  import   replace the network part of the list with a network's signed trust list\n"
        "           (a file or an https:// URL), checked against --network DID, else\n"
        "           network_did of config.json\n"
        "  publish  a network operator's step: sign the members (a JSON array of {id, name,\n"
        "           country, status}) with the network key KEYFILE (made when missing) into a\n"
        "           trust list, written to -o FILE or standard output\n";

struct trust_listing {
	bool json;
	size_t n;
};

static int print_trusted(void *ctx, const struct store_trusted_issuer *t)
{
	struct trust_listing *l = ctx;
	char did[300], name[256], country[16], status[32];

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
		/* Names and DIDs can come from a network's list: escaped. */
		printf("%-50s %-2s %-9s %s\n", term_safe(t->did, did, sizeof(did)),
		       term_safe(t->country, country, sizeof(country)),
		       term_safe(t->status, status, sizeof(status)),
		       term_safe(t->name, name, sizeof(name)));
	}
	l->n++;
	return 0;
}

/* Reads a whole file (or, for a URL, fetches it) into b. */
static int read_source(struct cli *c, const char *source, struct buf *b)
{
	struct remote_http_response res;
	struct ok_error err;
	char chunk[65536];
	size_t n;
	FILE *f;

	ok_error_clear(&err);
	if (strncmp(source, "https://", 8) == 0 || strncmp(source, "http://", 7) == 0) {
		if (remote_http_get(source, "application/vc, application/json", 10000, b, &res,
		                    &err) != 0) {
			cli_print_error(c, &err);
			return EXIT_FAILED;
		}
		return EXIT_OK;
	}
	if (!(f = fopen(source, "rbe"))) {
		fprintf(stderr, "%s: cannot open %s: %s\n", c->prog, source, strerror(errno));
		return EXIT_FAILED;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(b, chunk, n) != 0) {
			fprintf(stderr, "%s: %s is larger than %zu bytes\n", c->prog, source,
			        b->max);
			fclose(f);
			return EXIT_FAILED;
		}
	}
	fclose(f);
	return EXIT_OK;
}

static int trust_publish(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"key", required_argument, NULL, 'k'},
	        {"members", required_argument, NULL, 'm'},
	        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *key = NULL, *members_path = NULL, *output = NULL;
	unsigned char seed[32], pk[32], sk[64];
	char did[VC_DID_MAX];
	struct ok_error err;
	json_error_t jerr;
	json_t *members, *list = NULL;
	uint32_t key_id;
	char *text;
	FILE *f;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "ho:", opts)) != -1) {
		switch (opt) {
		case 'k':
			key = optarg;
			break;
		case 'm':
			members_path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(trust_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (!key || !members_path || optind != argc)
		return cli_usage_error(c, "trust publish needs --key KEYFILE --members FILE");
	ok_error_clear(&err);
	if (access(key, F_OK) != 0 && keyfile_create(key, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (keyfile_read(key, &key_id, seed, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	members = json_load_file(members_path, JSON_REJECT_DUPLICATES, &jerr);
	if (!members) {
		fprintf(stderr, "%s: %s:%d: %s\n", c->prog, members_path, jerr.line, jerr.text);
		sodium_memzero(seed, sizeof(seed));
		return EXIT_FAILED;
	}
	rc = registry_trust_publish(seed, members, &list, &err);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	json_decref(members);
	if (rc) {
		ok_error_locate(&err, members_path, 0);
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(list);
	f = output ? fopen(output, "we") : stdout;
	if (!text || !f || fputs(text, f) < 0 || fputc('\n', f) < 0 || (output && fclose(f) != 0)) {
		fprintf(stderr, "%s: cannot write %s\n", c->prog, output ? output : "the list");
		free(text);
		return EXIT_FAILED;
	}
	free(text);
	if (vc_did_key(pk, did, NULL) == 0)
		fprintf(stderr, "Trust list signed by the network key %s\n", did);
	return EXIT_OK;
}

static int trust_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"network", required_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *network = NULL;
	struct depository d;
	struct ok_error err;
	struct buf b;
	size_t imported;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'n':
			network = optarg;
			break;
		case 'h':
			fputs(trust_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one FILE or URL");
	buf_init(&b, (size_t)1 << 20);
	if ((rc = read_source(c, argv[optind], &b)) != EXIT_OK) {
		buf_release(&b);
		return rc;
	}
	if ((rc = cli_open(c, &d))) {
		buf_release(&b);
		return rc;
	}
	ok_error_clear(&err);
	rc = registry_trust_import(&d, b.data, b.len, network ? network : d.network_did, &imported,
	                           &err);
	depository_close(&d);
	buf_release(&b);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_EINVALID ? EXIT_REJECTED : EXIT_FAILED;
	}
	printf("Imported the network trust list: %zu members\n", imported);
	return EXIT_OK;
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

	if (!strcmp(sub, "publish")) {
		c->prog = "oorkonde trust publish";
		return trust_publish(c, argc - 1, argv + 1);
	}
	if (!strcmp(sub, "import")) {
		c->prog = "oorkonde trust import";
		return trust_import(c, argc - 1, argv + 1);
	}
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "remove")) {
		if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
			fputs(trust_usage, stdout);
			return EXIT_OK;
		}
		return cli_usage_error(c, "expected a subcommand: add, list, remove, import or "
		                          "publish");
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
		if (!rc) {
			printf("Trusted ");
			term_put(stdout, argv[optind]);
			printf(" (");
			term_put(stdout, name);
			printf(", %s)\n", country);
		}
	} else if (!strcmp(sub, "remove")) {
		rc = registry_trust_remove(&d, argv[optind], &err);
		if (!rc)
			printf("Removed %s from the trust list\n", argv[optind]);
	} else {
		if (l.json)
			printf("[");
		rc = store_trust_list(d.store, print_trusted, &l, &err);
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
