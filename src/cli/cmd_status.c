/* oorkonde revoke / suspend / reinstate: change an achievement's status. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "registry/status.h"
#include "registry/vc_status.h"

#include <string.h>

static const char status_usage[] =
        "Usage: oorkonde [--data DIR] revoke (ACHIEVEMENT_ID | --record-id ID --institution CODE)\n"
        "                                    --reason TEXT\n"
        "       oorkonde [--data DIR] suspend (ACHIEVEMENT_ID | --record-id ID --institution "
        "CODE)\n"
        "                                     --reason TEXT\n"
        "       oorkonde [--data DIR] reinstate (ACHIEVEMENT_ID | --record-id ID --institution "
        "CODE)\n"
        "                                       --reason TEXT\n"
        "       oorkonde [--data DIR] revoke|suspend|reinstate --credential-id ID\n"
        "                                    [--institution CODE]\n\n"
        "Revokes (final), suspends, or lifts a suspension of an achievement. Its credentials stop\n"
        "(or start again) verifying everywhere through the depository's Bitstring Status Lists; "
        "the\n"
        "change is kept in the achievement's history with who, when and why.\n\n"
        "  --record-id ID      the achievement by its institution's own record id\n"
        "  --institution CODE  the institution of --record-id, or of --credential-id (needed\n"
        "                      when two institutions used the same credential id; \"\" for\n"
        "                      keys bound to none)\n"
        "  --reason TEXT       why (required, kept in the history)\n"
        "  --credential-id ID  instead: a credential issued through POST /credentials/issue with\n"
        "                      options.credentialStatus, by its id (audited; it has no history,\n"
        "                      so no --reason)\n"
        "  --help              print this help\n\n"
        "Exit status: 0 done, 1 refused (a revocation is final; only a suspension can be lifted)\n"
        "or no such achievement, 2 usage or other errors.\n";

/* --credential-id: a VC-API credential issued with status, changed by the operator. */
static int credential_status(struct cli *c, int argc, const char *id, const char *institution,
                             bool other_options, enum status_action action)
{
	struct store_vc_status v;
	struct depository d;
	struct ok_error err;
	int rc;

	if (other_options || optind != argc)
		return cli_usage_error(c, "--credential-id goes alone or with --institution (a "
		                          "credential has no history for a --reason)");
	if (!id[0] || strlen(id) > STORE_VC_ID_MAX)
		return cli_usage_error(c, "--credential-id: the credential's id (1-512 bytes)");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_vc_status_change(&d, id, institution, action, AUDIT_OPERATOR, &v, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ECONFLICT || rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	printf("Credential %s is now %s\n", v.id, v.status);
	return EXIT_OK;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"reason", required_argument, NULL, 'r'},
	        {"record-id", required_argument, NULL, 'R'},
	        {"institution", required_argument, NULL, 'i'},
	        {"credential-id", required_argument, NULL, 'c'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct store_achievement a;
	enum status_action action;
	const char *reason = NULL, *record = NULL, *inst = NULL, *credential = NULL;
	struct depository d;
	struct ok_error err;
	int opt, rc;

	if (status_action_parse(argv[0], &action) != 0)
		return cli_usage_error(c, "unknown status action");
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'r':
			reason = optarg;
			break;
		case 'R':
			record = optarg;
			break;
		case 'i':
			inst = optarg;
			break;
		case 'c':
			credential = optarg;
			break;
		case 'h':
			fputs(status_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (credential)
		return credential_status(c, argc, credential, inst, reason || record, action);
	if (!record != !inst)
		return cli_usage_error(c, "--record-id and --institution go together");
	if (optind + (record ? 0 : 1) != argc)
		return cli_usage_error(c, record ? "give either ACHIEVEMENT_ID or --record-id"
		                                 : "expected one ACHIEVEMENT_ID (or --record-id ID "
		                                   "--institution CODE)");
	if (!reason)
		return cli_usage_error(c, "--reason TEXT is required");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	if (record)
		rc = registry_status_change_by_record(&d, inst, record, action, reason,
		                                      AUDIT_OPERATOR, &a, &err);
	else
		rc = registry_status_change(&d, argv[optind], NULL, action, reason, AUDIT_OPERATOR,
		                            &a, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ECONFLICT || rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	printf("Achievement %s is now %s\n", a.id, a.status);
	return EXIT_OK;
}
