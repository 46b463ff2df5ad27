/* oorkonde present: the depository presents credentials it has to another depository or
 * verifier, in a Verifiable Presentation bound to the receiver's challenge and domain. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "registry/present.h"
#include "registry/verify_presentation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char present_usage[] =
        "Usage: oorkonde [--data DIR] present FILE... [--challenge TEXT] [--domain TEXT]\n"
        "                [--cryptosuite S] [-o FILE]\n\n"
        "Writes a W3C Verifiable Presentation of the credentials in the files (JSON credentials\n"
        "as they are, VC-JOSE tokens enveloped), held and signed by this depository\n"
        "(Data Integrity, purpose authentication), for another depository or verifier that\n"
        "asked with a challenge and a domain. The credentials are passed on as they are; the\n"
        "receiver verifies them. At most 16 files. Signing is an audit event.\n\n"
        "  --challenge TEXT  the receiver's challenge, signed into the proof\n"
        "  --domain TEXT     the receiver's domain, signed into the proof\n"
        "  --cryptosuite S   eddsa-rdfc-2022 or eddsa-jcs-2022 (default: config cryptosuite,\n"
        "                    else eddsa-rdfc-2022)\n"
        "  -o, --output FILE where to write it (default standard output)\n"
        "  --help            print this help\n";

int cmd_present(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"challenge", required_argument, NULL, 'C'},
	        {"domain", required_argument, NULL, 'D'},
	        {"cryptosuite", required_argument, NULL, 'S'},
	        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct present_options po = {NULL, NULL, AUDIT_OPERATOR, NULL};
	struct present_item items[VC_PRESENTATION_MAX_CREDENTIALS];
	struct buf inputs[VC_PRESENTATION_MAX_CREDENTIALS];
	const char *output = NULL;
	struct depository d;
	struct ok_error err;
	struct buf out;
	size_t n = 0, i;
	bool cut, have_d = false;
	int opt, rc, exit_code = EXIT_OK;
	FILE *f;

	while ((opt = cli_getopt(argc, argv, "ho:", opts)) != -1) {
		switch (opt) {
		case 'C':
		case 'D':
			if (!*optarg || strlen(optarg) > VP_CHALLENGE_MAX)
				return cli_usage_error(c, "--%s must be 1 to %d bytes",
				                       opt == 'C' ? "challenge" : "domain",
				                       VP_CHALLENGE_MAX);
			*(opt == 'C' ? &po.challenge : &po.domain) = optarg;
			break;
		case 'S':
			if (strcmp(optarg, VC_PROOF_CRYPTOSUITE) != 0 &&
			    strcmp(optarg, VC_PROOF_CRYPTOSUITE_RDFC) != 0)
				return cli_usage_error(c, "--cryptosuite must be eddsa-rdfc-2022 or "
				                          "eddsa-jcs-2022");
			po.cryptosuite = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(present_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error(c, "expected at least one credential FILE");
	if (argc - optind > VC_PRESENTATION_MAX_CREDENTIALS)
		return cli_usage_error(c, "at most %d credentials in one presentation",
		                       VC_PRESENTATION_MAX_CREDENTIALS);
	buf_init(&out, (size_t)VC_PRESENTATION_MAX_CREDENTIALS << 21);
	for (; optind < argc; optind++, n++) {
		buf_init(&inputs[n], ((size_t)1 << 20) + 1);
		items[n].name = argv[optind];
		if ((exit_code = cli_read_input(c, argv[optind], &inputs[n], &cut)) != EXIT_OK) {
			n++;
			goto out;
		}
		if (cut) {
			fprintf(stderr, "%s: %s is larger than 1 MiB\n", c->prog, argv[optind]);
			exit_code = EXIT_FAILED;
			n++;
			goto out;
		}
		items[n].data = inputs[n].data;
		items[n].len = inputs[n].len;
	}
	if ((exit_code = cli_open(c, &d)))
		goto out;
	have_d = true;
	ok_error_clear(&err);
	rc = registry_present(&d, items, n, &po, &out, &err);
	if (rc) {
		cli_print_error(c, &err);
		exit_code = EXIT_FAILED;
		goto out;
	}
	f = output ? fopen(output, "we") : stdout;
	if (!f || fwrite(out.data, 1, out.len, f) != out.len || (output && fclose(f) != 0)) {
		fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, output ? output : "output",
		        strerror(errno));
		if (f && output)
			fclose(f);
		exit_code = EXIT_FAILED;
	}
out:
	if (have_d)
		depository_close(&d);
	for (i = 0; i < n; i++)
		buf_release(&inputs[i]);
	buf_release(&out);
	return exit_code;
}
