/* oorkonde import-credential: keep a credential of another depository of the network as a
 * foreign achievement of a learner, after verifying it with every check. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "registry/foreign.h"

#include <stdlib.h>
#include <string.h>

static const char import_credential_usage[] =
        "Usage: oorkonde [--data DIR] import-credential FILE|- --learner-id ID [--json]\n\n"
        "Verifies a credential from another depository of the network (a JSON credential or a\n"
        "VC-JOSE token) with every check: proof, validity, status and issuer (the issuer must\n"
        "be on the trust list). A valid one is kept as a foreign achievement of the learner,\n"
        "with its origin and the signed credential exactly as given. When the credential holds\n"
        "a hash of a national id, it must be the learner's. Importing the same credential again\n"
        "changes nothing and says so.\n\n"
        "  --learner-id ID  the learner (oorkonde's id) the credential belongs to\n"
        "  --json           print the outcome as JSON\n"
        "  --help           print this help\n\n"
        "Exit status: 0 imported (or held already), 1 refused (the failing check is named) or\n"
        "no such learner, 2 usage errors, unreadable input or input that is not a "
        "credential.\n";

static void print_json(const struct foreign_import *imp, int rc, const struct ok_error *err)
{
	json_t *doc, *warnings = json_array();

	if (imp->warning[0])
		json_array_append_new(warnings, json_string(imp->warning));
	if (rc == 0)
		doc = json_pack("{s:b, s:b, s:s, s:o, s:o, s:o}", "imported", 1, "duplicate",
		                imp->duplicate, "identity",
		                imp->identity == FOREIGN_IDENTITY_MATCHED ? "matched"
		                                                          : "not-checked",
		                "warnings", warnings, "foreign", foreign_record_json(&imp->record),
		                "verification", verify_result_json(&imp->verification));
	else
		doc = json_pack("{s:b, s:s, s:s, s:o, s:o}", "imported", 0, "check",
		                err->field[0] ? err->field : "credential", "reason", err->message,
		                "warnings", warnings, "verification",
		                verify_result_json(&imp->verification));
	cli_print_json(doc);
}

static void print_text(const struct cli *c, const struct foreign_import *imp, int rc,
                       const struct ok_error *err)
{
	const struct store_foreign *f = &imp->record;
	char credits[32], when[32], title[512], kind[64], awarded[64], depo[256], country[16],
	        did[300], by[128];

	if (rc == OK_EINVALID || rc == OK_ECONFLICT) {
		char what[OK_ERROR_FIELD_MAX + 8];

		snprintf(what, sizeof(what), "%s check", err->field[0] ? err->field : "credential");
		cli_print_refusal(c, what, err);
		return;
	}
	if (rc) {
		cli_print_error(c, err);
		return;
	}
	cli_format_credits(f->credits_centi, credits);
	foreign_time(f->imported_ms, when);
	/* Everything but the id and times is the other depository's text: escaped. */
	printf("%s foreign achievement %s: %s (%s, awarded %s, %s ECTS)\n",
	       imp->duplicate ? "Already held as" : "Imported as", f->id,
	       term_safe(f->title, title, sizeof(title)), term_safe(f->kind, kind, sizeof(kind)),
	       f->awarded_on[0] ? term_safe(f->awarded_on, awarded, sizeof(awarded)) : "-",
	       credits);
	printf("  from %s (%s, %s), imported %s by %s\n",
	       term_safe(f->depository, depo, sizeof(depo)),
	       term_safe(f->country, country, sizeof(country)),
	       term_safe(f->issuer_did, did, sizeof(did)), when,
	       term_safe(f->imported_by, by, sizeof(by)));
	if (imp->identity == FOREIGN_IDENTITY_MATCHED)
		printf("  the credential names this learner (name and birth date match)\n");
	if (imp->warning[0])
		printf("  warning: %s\n", imp->warning);
}

int cmd_import_credential(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct foreign_options o = {.actor = AUDIT_OPERATOR, .status_any_host = true};
	struct foreign_import imp;
	struct depository d;
	struct ok_error err;
	struct buf input;
	bool cut;
	const char *learner = NULL;
	bool json = false;
	int opt, rc, exit_code;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'l':
			learner = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(import_credential_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one FILE (or - for standard input)");
	if (!learner || !learner[0])
		return cli_usage_error(c, "--learner-id is required");
	buf_init(&input, (size_t)1 << 20);
	if ((exit_code = cli_read_input(c, argv[optind], &input, &cut)) != EXIT_OK)
		goto out_input;
	if (cut) {
		fprintf(stderr, "%s: %s: not a credential: it is larger than 1 MiB\n", c->prog,
		        argv[optind]);
		exit_code = EXIT_FAILED;
		goto out_input;
	}
	if ((exit_code = cli_open(c, &d)))
		goto out_input;
	ok_error_clear(&err);
	rc = registry_foreign_import_once(&d, learner, input.data, input.len, &o, &imp, &err);
	if (json && (rc == 0 || rc == OK_EINVALID || rc == OK_ECONFLICT))
		print_json(&imp, rc, &err);
	else
		print_text(c, &imp, rc, &err);
	exit_code = rc == 0                                                         ? EXIT_OK
	            : rc == OK_EINVALID || rc == OK_ECONFLICT || rc == OK_ENOTFOUND ? EXIT_REJECTED
	                                                                            : EXIT_FAILED;
	foreign_import_release(&imp);
	depository_close(&d);
out_input:
	buf_release(&input);
	return exit_code;
}
