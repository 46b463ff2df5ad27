/* oorkonde achievements: show a learner and everything registered for them. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "registry/foreign.h"
#include "registry/learner.h"

#include <stdlib.h>
#include <string.h>

static const char achievements_usage[] =
        "Usage: oorkonde [--data DIR] achievements (--national-id NID | --learner-id ID |\n"
        "                                 --record-id ID --institution CODE)\n"
        "                                 [--purpose PURPOSE] [--json]\n\n"
        "Shows the learner (id, names) and every achievement registered for them, each with\n"
        "its institution's own record id and its status (valid, suspended, revoked); then,\n"
        "apart, the achievements imported from other depositories, each with its origin. With\n"
        "--record-id, only that record (and its learner). The read is recorded in the audit log\n"
        "with its purpose (default: administration).\n\n"
        "  --national-id NID   find the learner by national id\n"
        "  --learner-id ID     find the learner by oorkonde's id\n"
        "  --record-id ID      find a record by the institution's own record id (with\n"
        "                      --institution CODE)\n"
        "  --purpose PURPOSE  why the data is read, for the audit log\n"
        "  --json             print a JSON array of the achievements (foreign ones last, with\n"
        "                     \"foreign\": true and their \"origin\")\n"
        "  --help             print this help\n";

struct listing {
	bool json;
	size_t count;
	size_t foreign;
	bool none_said; /* "(nothing registered)" is printed */
};

/* The status as a registrar says it: an active record is valid. */
static const char *status_word(const char *status)
{
	return strcmp(status, "active") == 0 ? "valid" : status;
}

static int print_achievement(void *ctx, const struct store_achievement *a)
{
	struct listing *l = ctx;
	char credits[32], record[64], grade[64], title[512];

	cli_format_credits(a->credits_centi, credits);
	if (!l->json) {
		printf("  %-24s %-6s %-16s %-8s %-10s %6s %5s %-9s  %s\n", a->id, a->institution,
		       term_safe(a->record_id, record, sizeof(record)), a->kind, a->awarded_on,
		       credits, a->grade[0] ? term_safe(a->grade, grade, sizeof(grade)) : "-",
		       status_word(a->status), term_safe(a->title, title, sizeof(title)));
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

/* The learner heads the listing. */
static int print_learner(void *ctx, const struct learner_view *view)
{
	struct listing *l = ctx;
	char born[64];

	if (l->json) {
		printf("[");
		return 0;
	}
	/* Names as registered: escaped, like every value that came from an import. */
	printf("Learner %s: ", view->id);
	term_put(stdout, view->data.given_names);
	if (view->data.given_names[0])
		putchar(' ');
	term_put(stdout, view->data.family_name);
	printf(", born %s\n", term_safe(view->data.birth_date, born, sizeof(born)));
	printf("  %-24s %-6s %-16s %-8s %-10s %6s %5s %-9s  %s\n", "ACHIEVEMENT", "INST", "RECORD",
	       "KIND", "AWARDED", "ECTS", "GRADE", "STATUS", "TITLE");
	return 0;
}

/* After the achievements of the depository's own, when there were none. */
static void say_none(struct listing *l)
{
	if (!l->json && l->count == 0 && !l->none_said) {
		printf("  (nothing registered)\n");
		l->none_said = true;
	}
}

/* A foreign achievement: apart in the text, marked with its origin in the JSON. */
static int print_foreign(void *ctx, const struct store_foreign *f)
{
	struct listing *l = ctx;
	char credits[32], when[32], kind[64], awarded[64], grade[64], title[512], depo[256],
	        country[16], did[300], by[128], status[64];
	json_t *doc;
	char *text;

	cli_format_credits(f->credits_centi, credits);
	foreign_time(f->imported_ms, when);
	say_none(l);
	if (!l->json) {
		/* Every field but the id and times came from another depository's credential. */
		if (!l->foreign++)
			printf("From other depositories (foreign achievements):\n");
		printf("  %-24s %-6s %-8s %-10s %6s %5s  %s\n", f->id,
		       term_safe(f->country, country, sizeof(country)),
		       term_safe(f->kind, kind, sizeof(kind)),
		       f->awarded_on[0] ? term_safe(f->awarded_on, awarded, sizeof(awarded)) : "-",
		       credits, f->grade[0] ? term_safe(f->grade, grade, sizeof(grade)) : "-",
		       term_safe(f->title, title, sizeof(title)));
		printf("  %-24s from %s (%s, %s), imported %s by %s%s%s%s\n", "",
		       term_safe(f->depository, depo, sizeof(depo)), country,
		       term_safe(f->issuer_did, did, sizeof(did)), when,
		       term_safe(f->imported_by, by, sizeof(by)),
		       strcmp(f->status, "active") ? ", " : "",
		       strcmp(f->status, "active") ? term_safe(f->status, status, sizeof(status))
		                                   : "",
		       /* EMREX: SHA-1 was accepted for its contact point only; say so. */
		       strcmp(f->format, "elmo-sha1") == 0 ? ", ELMO signed with SHA-1" : "");
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
	        {"record-id", required_argument, NULL, 'r'},
	        {"institution", required_argument, NULL, 'i'},
	        {"purpose", required_argument, NULL, 'p'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *purpose = "administration";
	struct listing listing = {0};
	struct learner_query q = {0};
	struct learner_records_fns fns = {print_learner, print_achievement, print_foreign,
	                                  &listing};
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'n':
			q.national_id = optarg;
			break;
		case 'l':
			q.learner_id = optarg;
			break;
		case 'r':
			q.record_id = optarg;
			break;
		case 'i':
			q.institution = optarg;
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
	if ((q.national_id != NULL) + (q.learner_id != NULL) + (q.record_id != NULL) != 1)
		return cli_usage_error(c, "give one of --national-id, --learner-id or --record-id");
	if (!q.record_id != !q.institution)
		return cli_usage_error(c, "--record-id and --institution go together");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_learner_records(&d, &q, AUDIT_OPERATOR, purpose, &fns, &err);
	if (!rc)
		say_none(&listing);
	if (rc == OK_ENOMEM)
		ok_fail(&err, rc, "out of memory");
	if (!rc && listing.json)
		printf("%s]\n", listing.count ? "\n" : "");
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	return EXIT_OK;
}
