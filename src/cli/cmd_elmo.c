/* EMREX on the command line: `oorkonde export elmo` (a learner's results as a signed ELMO
 * document) and the ELMO signing key of `oorkonde keys` (add-elmo-key, install-elmo-cert,
 * elmo-key). */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "registry/elmo.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char export_usage[] =
        "Usage: oorkonde [--data DIR] export elmo --learner-id ID [--achievements ID,...]\n"
        "                                         [--with-national-id] -o FILE.xml\n\n"
        "Writes the learner's results as an ELMO document (EMREX, schema 1.7.0): the learner\n"
        "(names, birth date), a report per institution with each result (type, ECTS credits,\n"
        "EQF level, language, grade and grading scheme), a PDF transcript of the same, and an\n"
        "enveloped XML signature made with the depository's ELMO key (see keys add-elmo-key).\n"
        "Revoked and suspended results are never exported. Reading the learner is audited.\n\n"
        "  --learner-id ID       the learner (oorkonde's id)\n"
        "  --achievements IDS    only these achievements (comma-separated ids)\n"
        "  --with-national-id    put the national id in the document (left out by default)\n"
        "  -o, --output FILE     where to write the document (\"-\": standard output)\n"
        "  --help                print this help\n\n"
        "Exit status: 0 written, 1 no such learner or nothing to export, 2 usage errors or the\n"
        "folder has no ELMO key.\n";

#define ACHIEVEMENTS_MAX 1000

/* Splits list at commas into ids (pointers into list, which it changes). */
static int split_ids(struct cli *c, char *list, const char **ids, size_t *n)
{
	char *save = NULL, *tok;

	*n = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == ACHIEVEMENTS_MAX)
			return cli_usage_error(c, "--achievements takes at most %d ids",
			                       ACHIEVEMENTS_MAX);
		if (!depository_id_valid(tok))
			return cli_usage_error(c, "--achievements: not an achievement id");
		ids[(*n)++] = tok;
	}
	if (*n == 0)
		return cli_usage_error(c, "--achievements names no id");
	return 0;
}

static int export_elmo(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"learner-id", required_argument, NULL, 'l'},
	        {"achievements", required_argument, NULL, 'a'},
	        {"with-national-id", no_argument, NULL, 'n'},
	        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct elmo_export_options o = {.actor = AUDIT_OPERATOR, .purpose = "emrex export"};
	const char *ids[ACHIEVEMENTS_MAX];
	const char *output = NULL;
	struct depository d;
	struct ok_error err;
	struct buf doc;
	size_t results = 0;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "ho:", opts)) != -1) {
		switch (opt) {
		case 'l':
			o.learner_id = optarg;
			break;
		case 'a':
			if ((rc = split_ids(c, optarg, ids, &o.achievement_count)))
				return rc;
			o.achievements = ids;
			break;
		case 'n':
			o.national_id = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(export_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument");
	if (!o.learner_id || !depository_id_valid(o.learner_id))
		return cli_usage_error(c, "--learner-id ID is required");
	if (!output)
		return cli_usage_error(c, "-o FILE is required");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	buf_init(&doc, (size_t)64 << 20);
	rc = registry_elmo_export(&d, &o, &doc, &results, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		rc = rc == OK_ENOTFOUND || rc == OK_EINPUT ? EXIT_REJECTED : EXIT_FAILED;
		goto out;
	}
	if (strcmp(output, "-") == 0) {
		rc = fwrite(doc.data, 1, doc.len, stdout) == doc.len && fflush(stdout) == 0
		             ? EXIT_OK
		             : EXIT_FAILED;
	} else {
		/* 0600: the document holds the learner's name and results. */
		rc = file_write_atomic(output, doc.data, doc.len, 0600, 0, &err);
		if (rc) {
			cli_print_error(c, &err);
			rc = EXIT_FAILED;
			goto out;
		}
		fprintf(stderr, "%s: wrote %zu result%s to ", c->prog, results,
		        results == 1 ? "" : "s");
		term_put(stderr, output);
		fputc('\n', stderr);
	}
out:
	sodium_memzero(doc.data, doc.len);
	buf_release(&doc);
	return rc;
}

static const char export_cmd_usage[] =
        "Usage: oorkonde [--data DIR] export elmo --learner-id ID [...] -o FILE.xml\n\n"
        "  elmo   a learner's results as a signed ELMO document (EMREX)\n";

int cmd_export(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"elmo", "oorkonde export elmo", export_elmo},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), export_cmd_usage,
	                      "elmo");
}

/* keys add-elmo-key | install-elmo-cert CERT.pem KEY.pem | elmo-key */

static int print_key(const struct cli *c, struct depository *d)
{
	struct elmo_key_info info;
	struct ok_error err;
	char until[32] = "-", subject[512];
	time_t t;
	struct tm tm;

	ok_error_clear(&err);
	if (registry_elmo_key_info(d, &info, &err)) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	t = (time_t)(info.not_after_ms / 1000);
	if (info.not_after_ms && gmtime_r(&t, &tm))
		strftime(until, sizeof(until), "%Y-%m-%d", &tm);
	printf("ELMO signing certificate: %s\n", term_safe(info.subject, subject, sizeof(subject)));
	printf("  SHA-256 fingerprint %s, valid until %s\n", info.fingerprint, until);
	return EXIT_OK;
}

static int read_pem(struct cli *c, const char *path, struct buf *b)
{
	bool cut = false;
	int rc = cli_read_input(c, path, b, &cut);

	if (!rc && cut) {
		fprintf(stderr, "%s: ", c->prog);
		term_put(stderr, path);
		fprintf(stderr, ": larger than %zu KiB\n", ELMO_PEM_MAX >> 10);
		return EXIT_FAILED;
	}
	return rc;
}

int cmd_elmo_keys(struct cli *c, const char *sub, int argc, char **argv)
{
	struct depository d;
	struct ok_error err;
	struct buf cert, key;
	int rc;

	ok_error_clear(&err);
	buf_init(&cert, ELMO_PEM_MAX);
	buf_init(&key, ELMO_PEM_MAX);
	if (strcmp(sub, "install-elmo-cert") == 0 ? argc != 4 : argc != 2) {
		rc = cli_usage_error(c, strcmp(sub, "install-elmo-cert") == 0
		                                ? "install-elmo-cert takes CERT.pem KEY.pem"
		                                : "unexpected argument");
		goto out;
	}
	if (strcmp(sub, "install-elmo-cert") == 0 &&
	    ((rc = read_pem(c, argv[2], &cert)) || (rc = read_pem(c, argv[3], &key))))
		goto out;
	if ((rc = cli_open(c, &d)))
		goto out;
	if (strcmp(sub, "add-elmo-key") == 0)
		rc = registry_elmo_key_create(&d, &err);
	else if (strcmp(sub, "install-elmo-cert") == 0)
		rc = registry_elmo_key_install(&d, cert.data, cert.len, key.data, key.len, &err);
	else
		rc = 0;
	if (rc) {
		cli_print_error(c, &err);
		rc = EXIT_FAILED;
	} else {
		rc = print_key(c, &d);
	}
	depository_close(&d);
out:
	sodium_memzero(key.data, key.len);
	buf_release(&key);
	buf_release(&cert);
	return rc;
}
