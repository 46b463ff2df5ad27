/* oorkonde share create / list / revoke: a learner's shares, for operators and scripts. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "portal/portal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char share_usage[] =
        "Usage: oorkonde [--data DIR] share create --learner-id ID --achievements ID,ID,...\n"
        "                                          --to LABEL [--days N] [--json]\n"
        "       oorkonde [--data DIR] share list --learner-id ID [--json]\n"
        "       oorkonde [--data DIR] share revoke SHARE_ID\n\n"
        "A share shows chosen achievements of one learner to a named recipient until it\n"
        "expires (--days, 1-365, 30 by default) or is revoked: anyone with its link sees\n"
        "them, each credential verified on the spot. create prints the link (shown only\n"
        "once; --json prints the share with it); list shows each share's id, expiry, uses\n"
        "and recipient.\n";

/* Splits "a,b,c" in place into at most PORTAL_SHARE_ACHIEVEMENTS ids; -1 when too many. */
static int split_ids(char *list, const char **ids, size_t *n)
{
	char *save = NULL, *id;

	*n = 0;
	for (id = strtok_r(list, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
		if (*n == PORTAL_SHARE_ACHIEVEMENTS)
			return -1;
		ids[(*n)++] = id;
	}
	return 0;
}

static void print_json(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2));

	if (text)
		printf("%s\n", text);
	free(text);
}

static int share_create(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"achievements", required_argument, NULL, 'a'},
	        {"to", required_argument, NULL, 't'},
	        {"days", required_argument, NULL, 'd'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *ids[PORTAL_SHARE_ACHIEVEMENTS];
	struct portal_share_input in = {0};
	char *list = NULL, *end;
	struct depository d;
	struct ok_error err;
	json_t *doc = NULL;
	bool json = false;
	long days;
	int opt, rc;

	in.days = PORTAL_SHARE_DAYS_DEFAULT;
	in.actor = AUDIT_OPERATOR;
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'l':
			in.learner_id = optarg;
			break;
		case 'a':
			list = optarg;
			break;
		case 't':
			in.recipient = optarg;
			break;
		case 'd':
			errno = 0;
			days = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || days < 1 ||
			    days > PORTAL_SHARE_DAYS_MAX)
				return cli_usage_error(c,
				                       "--days must be a whole number from 1 to %d",
				                       PORTAL_SHARE_DAYS_MAX);
			in.days = (int)days;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(share_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (!in.learner_id || !list || !in.recipient || optind != argc)
		return cli_usage_error(
		        c, "share create needs --learner-id ID --achievements ID,ID --to LABEL");
	if (split_ids(list, ids, &in.n) != 0)
		return cli_usage_error(c, "--achievements takes at most %d ids",
		                       PORTAL_SHARE_ACHIEVEMENTS);
	in.achievements = ids;
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = portal_share_create(&d, &in, &doc, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_EINPUT ? EXIT_REJECTED : EXIT_FAILED;
	}
	if (json) {
		print_json(doc);
	} else {
		printf("%s\n", json_string_value(json_object_get(doc, "url")));
		fprintf(stderr, "Share %s, valid until %s. The link is shown only now.\n",
		        json_string_value(json_object_get(doc, "id")),
		        json_string_value(json_object_get(doc, "expires")));
	}
	json_decref(doc);
	return EXIT_OK;
}

static int share_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *learner_id = NULL;
	char now[32];
	struct depository d;
	struct ok_error err;
	json_t *list = NULL, *s;
	bool json = false;
	size_t i;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'l':
			learner_id = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(share_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (!learner_id || optind != argc)
		return cli_usage_error(c, "share list needs --learner-id ID");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = portal_shares_json(&d, learner_id, AUDIT_OPERATOR, &list, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (json) {
		print_json(list);
	} else {
		printf("%-24s  %-20s  %-8s  %5s  %s\n", "ID", "EXPIRES", "STATE", "USES",
		       "RECIPIENT");
		portal_time_iso((int64_t)time(NULL) * 1000, now);
		json_array_foreach(list, i, s)
		{
			const char *expires = json_string_value(json_object_get(s, "expires"));
			char recipient[512];
			/* The recipient label is the learner's free text: escaped. */
			printf("%-24s  %-20s  %-8s  %5lld  %s\n",
			       json_string_value(json_object_get(s, "id")), expires,
			       json_is_true(json_object_get(s, "revoked")) ? "revoked"
			       : strcmp(expires, now) <= 0                 ? "expired"
			                                                   : "active",
			       (long long)json_integer_value(json_object_get(s, "uses")),
			       term_safe(json_string_value(json_object_get(s, "recipient")),
			                 recipient, sizeof(recipient)));
		}
	}
	json_decref(list);
	return EXIT_OK;
}

static int share_revoke(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		if (opt == 'h') {
			fputs(share_usage, stdout);
			return EXIT_OK;
		}
		return cli_usage_error(c, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "share revoke needs one SHARE_ID");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = portal_share_revoke(&d, NULL, argv[optind], AUDIT_OPERATOR, NULL, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND || rc == OK_ECONFLICT ? EXIT_REJECTED : EXIT_FAILED;
	}
	printf("Share %s revoked: its link now answers 410 Gone.\n", argv[optind]);
	return EXIT_OK;
}

int cmd_share(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(share_usage, stdout);
		return EXIT_OK;
	}
	optind = 1;
	if (!strcmp(sub, "create"))
		return share_create(c, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return share_list(c, argc - 1, argv + 1);
	if (!strcmp(sub, "revoke"))
		return share_revoke(c, argc - 1, argv + 1);
	return cli_usage_error(c, "expected a subcommand: create, list or revoke");
}
