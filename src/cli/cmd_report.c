/* oorkonde learner report: a learner's access report (GDPR art. 15) as JSON or HTML. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "keys/keyfile.h"
#include "registry/report.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
        "Usage: oorkonde [--data DIR] learner report LEARNER_ID [--json | --html] [--lang nl|en]\n"
        "                                              [-o FILE]\n\n"
        "The learner's access report (GDPR article 15): everything stored about them (personal\n"
        "fields decrypted, every achievement with its earlier versions, shares) and every\n"
        "access to it from the audit log (who, when, why, what). Making the report is itself\n"
        "recorded in the audit log (purpose access-report).\n\n"
        "  --json          JSON (the default)\n"
        "  --html          a self-contained HTML page\n"
        "  --lang nl|en    the page's language (default en)\n"
        "  -o, --output F  write to file F (mode 0600: it holds personal data), not stdout\n"
        "  --help          print this help\n";

int cmd_learner_report(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},       {"html", no_argument, NULL, 'H'},
	        {"lang", required_argument, NULL, 'L'}, {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	const char *output = NULL, *lang = "en", *id;
	bool json = false, html = false;
	struct depository d;
	struct ok_error err;
	json_t *doc = NULL;
	struct buf text;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "ho:", opts)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'H':
			html = true;
			break;
		case 'L':
			if (strcmp(optarg, "nl") && strcmp(optarg, "en"))
				return cli_usage_error(c, "--lang takes nl or en");
			lang = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (json && html)
		return cli_usage_error(c, "give one of --json or --html");
	if (optind + 1 != argc)
		return cli_usage_error(c, optind == argc ? "give the learner's id"
		                                         : "give one learner id");
	id = argv[optind];
	if (!depository_id_valid(id))
		return cli_usage_error(c, "'%s' is not a learner id", id);
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	buf_init(&text, REPORT_HTML_MAX);
	if (html) {
		rc = registry_report_page(&d, id, AUDIT_OPERATOR, lang, &text, &err);
	} else if (!(rc = registry_report_json(&d, id, AUDIT_OPERATOR, &doc, &err))) {
		char *s = json_dumps(doc, JSON_INDENT(2));
		if (!s || buf_addstr(&text, s) || buf_addch(&text, '\n'))
			rc = ok_fail(&err, OK_ENOMEM, "out of memory");
		if (s) {
			sodium_memzero(s, strlen(s));
			free(s);
		}
		json_decref(doc);
	}
	depository_close(&d);
	if (!rc && output)
		rc = file_write_atomic(output, text.data, text.len, 0600, 0, &err);
	else if (!rc && fwrite(text.data, 1, text.len, stdout) != text.len)
		rc = ok_fail(&err, OK_EIO, "cannot write the report");
	if (text.data)
		sodium_memzero(text.data, text.len);
	buf_release(&text);
	if (rc) {
		cli_print_error(c, &err);
		return rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	}
	if (output)
		fprintf(stderr, "Access report written to %s\n", output);
	return EXIT_OK;
}
