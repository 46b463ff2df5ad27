/* oorkonde achievements: show a learner and everything registered for them. */
#include "cli/cli.h"
#include "registry/foreign.h"
#include "registry/learner.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char achievements_usage[] =
        "Usage: oorkonde [--data DIR] achievements (--national-id NID | --learner-id ID)\n"
        "                                 [--purpose PURPOSE] [--json]\n\n"
        "Shows the learner (id, names) and every achievement registered for them; then, apart,\n"
        "the achievements imported from other depositories, each with its origin. The read is\n"
        "recorded in the audit log with its purpose (default: administration).\n\n"
        "  --national-id NID  find the learner by national id\n"
        "  --learner-id ID    find the learner by oorkonde's id\n"
        "  --purpose PURPOSE  why the data is read, for the audit log\n"
        "  --json             print a JSON array of the achievements (foreign ones last, with\n"
        "                     \"foreign\": true and their \"origin\")\n"
        "  --help             print this help\n";

struct listing {
	bool json;
	size_t count;
	size_t foreign;
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

/* A foreign achievement: apart in the text, marked with its origin in the JSON. */
static int print_foreign(void *ctx, const struct store_foreign *f)
{
	struct listing *l = ctx;
	char credits[32], when[32];
	json_t *doc;
	char *text;

	cli_format_credits(f->credits_centi, credits);
	foreign_time(f->imported_ms, when);
	if (!l->json) {
		if (!l->foreign++)
			printf("From other depositories (foreign achievements):\n");
		printf("  %-24s %-6s %-8s %-10s %6s %5s  %s\n", f->id, f->country, f->kind,
		       f->awarded_on[0] ? f->awarded_on : "-", credits,
		       f->grade[0] ? f->grade : "-", f->title);
		printf("  %-24s from %s (%s, %s), imported %s by %s%s%s\n", "", f->depository,
		       f->country, f->issuer_did, when, f->imported_by,
		       strcmp(f->status, "active") ? ", " : "",
		       strcmp(f->status, "active") ? f->status : "");
		return 0;
	}
	doc = json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, "
	                "s:s}}",
	                "id", f->id, "foreign", 1, "learner_id", f->learner_id, "kind", f->kind,
	                "title", f->title, "awarded_on", f->awarded_on, "grade", f->grade, "status",
	                f->status, "origin", "issuer", f->issuer_did, "depository", f->depository,
	                "country", f->country, "imported", when, "imported_by", f->imported_by,
	                "format", f->format);
	if (doc && f->credits_centi >= 0)
		json_object_set_new(doc, "credits",
		                    f->credits_centi % 100 == 0
		                            ? json_integer(f->credits_centi / 100)
		                            : json_real((double)f->credits_centi / 100.0));
	if (doc && f->institution[0])
		json_object_set_new(doc, "institution",
		                    json_pack("{s:s, s:s}", "name", f->institution, "country",
		                              f->institution_country));
	text = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text)
		return OK_ENOMEM;
	printf("%s\n  %s", l->count ? "," : "", text);
	free(text);
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
	if (!rc && !listing.json && listing.count == 0)
		printf("  (nothing registered)\n");
	if (!rc)
		rc = registry_foreign_list(&d, view.id, print_foreign, &listing, &err);
	if (rc == OK_ENOMEM)
		ok_fail(&err, rc, "out of memory");
	if (!rc && listing.json)
		printf("%s]\n", listing.count ? "\n" : "");
	sodium_memzero(&view, sizeof(view));
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	return EXIT_OK;
}
