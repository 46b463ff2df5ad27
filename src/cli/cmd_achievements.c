/* oorkonde achievements: show a learner and everything registered for them. */
#include "cli/cli.h"
#include "registry/learner.h"

#include <sodium.h>
#include <string.h>

static const char achievements_usage[] =
        "Usage: oorkonde [--data DIR] achievements (--national-id NID | --learner-id ID)\n"
        "                                 [--purpose PURPOSE] [--json]\n\n"
        "Shows the learner (id, names) and every achievement registered for them. The read is\n"
        "recorded in the audit log with its purpose (default: administration).\n\n"
        "  --national-id NID  find the learner by national id\n"
        "  --learner-id ID    find the learner by oorkonde's id\n"
        "  --purpose PURPOSE  why the data is read, for the audit log\n"
        "  --json             print a JSON array of the achievements\n"
        "  --help             print this help\n";

struct listing {
	bool json;
	size_t count;
};

static int print_achievement(void *ctx, const struct store_achievement *a)
{
	struct listing *l = ctx;
	char credits[32];

	cli_format_credits(a->credits_centi, credits);
	if (!l->json) {
		printf("  %-24s %-6s %-8s %-10s %6s %5s  %s\n", a->id, a->institution, a->kind,
		       a->awarded_on, credits, a->grade[0] ? a->grade : "-", a->title);
		l->count++;
		return 0;
	}
	printf("%s\n  {\"id\": ", l->count ? "," : "");
	cli_json_string(stdout, a->id);
	printf(", \"learner_id\": ");
	cli_json_string(stdout, a->learner_id);
	printf(", \"institution\": ");
	cli_json_string(stdout, a->institution);
	printf(", \"record_id\": ");
	cli_json_string(stdout, a->record_id);
	printf(", \"kind\": ");
	cli_json_string(stdout, a->kind);
	printf(", \"title\": ");
	cli_json_string(stdout, a->title);
	printf(", \"programme_code\": ");
	cli_json_string(stdout, a->programme_code);
	if (a->eqf_level)
		printf(", \"eqf_level\": %d", a->eqf_level);
	if (a->credits_centi >= 0)
		printf(", \"credits\": %s", credits);
	printf(", \"grade\": ");
	cli_json_string(stdout, a->grade);
	printf(", \"grading_scheme\": ");
	cli_json_string(stdout, a->grading_scheme);
	printf(", \"awarded_on\": ");
	cli_json_string(stdout, a->awarded_on);
	printf(", \"language\": ");
	cli_json_string(stdout, a->language);
	printf(", \"status\": ");
	cli_json_string(stdout, a->status);
	printf(", \"version\": %d}", a->version);
	l->count++;
	return 0;
}

int cmd_achievements(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"national-id", required_argument, NULL, 'n'},
	        {"learner-id", required_argument, NULL, 'l'},
	        {"purpose", required_argument, NULL, 'p'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *nid = NULL, *lid = NULL, *purpose = "administration";
	struct listing listing = {0};
	struct learner_view view;
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'n':
			nid = optarg;
			break;
		case 'l':
			lid = optarg;
			break;
		case 'p':
			purpose = optarg;
			break;
		case 'j':
			listing.json = true;
			break;
		case 'h':
			fputs(achievements_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!nid == !lid)
		return cli_usage_error(c, "give one of --national-id or --learner-id");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_learner_read(&d, nid, lid, "operator", purpose, &view, &err);
	if (!rc && !listing.json) {
		printf("Learner %s: %s%s%s, born %s\n", view.id, view.data.given_names,
		       view.data.given_names[0] ? " " : "", view.data.family_name,
		       view.data.birth_date);
		printf("  %-24s %-6s %-8s %-10s %6s %5s  %s\n", "ACHIEVEMENT", "INST", "KIND",
		       "AWARDED", "ECTS", "GRADE", "TITLE");
	}
	if (!rc && listing.json)
		printf("[");
	if (!rc)
		rc = registry_learner_achievements(&d, view.id, print_achievement, &listing, &err);
	if (!rc && listing.json)
		printf("%s]\n", listing.count ? "\n" : "");
	else if (!rc && listing.count == 0)
		printf("  (nothing registered)\n");
	sodium_memzero(&view, sizeof(view));
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	return EXIT_OK;
}
