/* oorkonde oidc: the OpenID providers learners sign in with. `client-key` makes (once) and
 * prints the private_key_jwt key's public half for registration at the provider; `check` reads
 * config.json's providers and fetches each one's discovery document, as the server will. */
#include "cli/cli.h"
#include "remote/oidc.h"

#include <jansson.h>
#include <string.h>

static const char oidc_usage[] =
        "Usage: oorkonde [--data DIR] oidc client-key PROVIDER\n"
        "       oorkonde [--data DIR] oidc check\n\n"
        "client-key  prints the public key (a JWK set) of the key oorkonde signs its client\n"
        "            assertions with for PROVIDER (client_auth private_key_jwt): register it\n"
        "            at the provider. The key is made on first use, in DIR/oidc-PROVIDER.key\n"
        "            (0600); later calls print the same key.\n"
        "check       reads the providers of config.json (\"oidc\"), with their secrets or\n"
        "            keys, and fetches each one's discovery document over https: prints its\n"
        "            endpoints, or why it cannot be used.\n\n"
        "  --help    print this help\n";

static int client_key(struct cli *c, int argc, char **argv)
{
	struct ok_error err;
	json_t *jwk = NULL, *set;
	char *text;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(oidc_usage, stdout);
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error(c, "give the provider's id");
	ok_error_clear(&err);
	if ((rc = oidc_client_key_jwk(c->data_dir, argv[1], &jwk, &err))) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	set = json_pack("{s:[o]}", "keys", jwk);
	text = set ? json_dumps(set, JSON_INDENT(2)) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(set);
	return text ? EXIT_OK : EXIT_FAILED;
}

static int check(struct cli *c, int argc, char **argv)
{
	struct oidc_rp rp;
	struct ok_error err;
	size_t i;
	int rc, bad = 0;

	(void)argv;
	if (argc != 1)
		return cli_usage_error(c, "check takes no arguments");
	ok_error_clear(&err);
	/* main set libcurl up. */
	if ((rc = oidc_rp_load(&rp, c->data_dir, &err))) {
		cli_print_error(c, &err);
		oidc_rp_release(&rp);
		return EXIT_FAILED;
	}
	if (!rp.n)
		printf("no providers in config.json\n");
	for (i = 0; i < rp.n; i++) {
		struct oidc_provider *p = &rp.providers[i];
		struct oidc_metadata m;
		ok_error_clear(&err);
		if (oidc_provider_metadata(&rp, p, &m, &err)) {
			printf("%s: not usable\n", p->id);
			cli_print_error(c, &err);
			bad = 1;
			continue;
		}
		printf("%s: %s\n  authorization %s\n  token         %s\n  keys          %s\n"
		       "  PAR           %s\n  logout        %s\n",
		       p->id, p->issuer, m.authorization_endpoint, m.token_endpoint, m.jwks_uri,
		       m.par_endpoint[0] ? m.par_endpoint : "(not offered)",
		       m.end_session_endpoint[0] ? m.end_session_endpoint : "(not offered)");
	}
	oidc_rp_release(&rp);
	return bad ? EXIT_REJECTED : EXIT_OK;
}

int cmd_oidc(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"client-key", "oorkonde oidc client-key", client_key},
	        {"check", "oorkonde oidc check", check},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), oidc_usage,
	                      "client-key or check");
}
