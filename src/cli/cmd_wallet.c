/* oorkonde wallet offer: a credential offer (OpenID4VCI) of a learner's results, for the
 * learner's EU digital identity wallet, made by an operator. */
#include "audit/actor.h"
#include "audit/log.h"
#include "cli/cli.h"
#include "oid4vci/oid4vci.h"

#include <sodium.h>
#include <string.h>

static const char wallet_usage[] =
        "Usage: oorkonde [--data DIR] wallet offer --learner-id ID --achievements ID,ID,...\n"
        "                                          [--vct own|eu-learning] [--pin|--no-pin]\n"
        "                                          [--json]\n\n"
        "Makes a credential offer (OpenID4VCI, pre-authorized code flow) of the learner's\n"
        "results for their wallet, and prints its openid-credential-offer:// link (show it to\n"
        "the learner as a QR code; --json prints the link, the offer URI, the PIN and the\n"
        "expiry). The offer works once, for 10 minutes. It carries a 6-digit transaction\n"
        "code, printed beside the link, that the wallet asks for (3 wrong tries withdraw the\n"
        "offer), unless config.json sets \"wallet_pin\": false; --pin and --no-pin decide\n"
        "for this offer (without one, whoever sees the link can take the credential). --vct "
        "chooses the credential type: the depository's own per kind of result\n"
        "(default) or the EU Learning Credential. Needs `serve` for the wallet to redeem it.\n";

static int wallet_offer(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"achievements", required_argument, NULL, 'a'},
	        {"vct", required_argument, NULL, 'v'},
	        {"pin", no_argument, NULL, 'p'},
	        {"no-pin", no_argument, NULL, 'n'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *ids[STORE_VCI_ACHIEVEMENTS_MAX], *learner = NULL;
	enum sdjwt_vct vct = SDJWT_VCT_OWN;
	struct oid4vci_offer_made made;
	char *list = NULL, *save = NULL, *id, until[32];
	struct depository d;
	struct ok_error err;
	int pin = -1; /* -1: as config wallet_pin says */
	bool json = false;
	size_t n = 0;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'l':
			learner = optarg;
			break;
		case 'a':
			list = optarg;
			break;
		case 'v':
			if (sdjwt_vct_parse(optarg, &vct))
				return cli_usage_error(c, "--vct must be own or eu-learning");
			break;
		case 'p':
			pin = 1;
			break;
		case 'n':
			pin = 0;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(wallet_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (!learner || !list || optind != argc)
		return cli_usage_error(c,
		                       "wallet offer needs --learner-id ID --achievements ID,ID");
	for (id = strtok_r(list, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
		if (n == STORE_VCI_ACHIEVEMENTS_MAX)
			return cli_usage_error(c, "--achievements takes at most %d ids",
			                       STORE_VCI_ACHIEVEMENTS_MAX);
		ids[n++] = id;
	}
	if (n == 0)
		return cli_usage_error(c, "--achievements needs at least one id");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	if (pin < 0)
		pin = d.wallet_pin;
	rc = oid4vci_offer_create(&d, learner, ids, n, vct, pin == 1, AUDIT_OPERATOR, 0, &made,
	                          &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_EINPUT || rc == OK_ENOTFOUND || rc == OK_ECONFLICT ? EXIT_REJECTED
		                                                                   : EXIT_FAILED;
	}
	audit_format_time(made.expires_ms, until);
	if (json) {
		json_t *doc = json_pack("{s:s,s:s,s:s,s:s}", "id", made.id, "link", made.link,
		                        "offer_uri", made.offer_uri, "expires", until);
		char *text;

		if (doc && made.pin[0])
			json_object_set_new(doc, "pin", json_string(made.pin));
		text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(doc);
	} else {
		printf("%s\n", made.link);
		if (made.pin[0])
			printf("PIN: %s\n", made.pin);
		fprintf(stderr, "Offer %s: one use, valid until %s.\n", made.id, until);
	}
	sodium_memzero(&made, sizeof(made));
	return EXIT_OK;
}

int cmd_wallet(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(wallet_usage, stdout);
		return EXIT_OK;
	}
	optind = 1;
	if (!strcmp(sub, "offer"))
		return wallet_offer(c, argc - 1, argv + 1);
	return cli_usage_error(c, "expected a subcommand: offer");
}
