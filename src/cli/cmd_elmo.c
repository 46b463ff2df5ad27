/* EMREX on the command line: `oorkonde export elmo` (a learner's results as a signed ELMO
 * document) and the ELMO signing key of `oorkonde keys` (add-elmo-key, install-elmo-cert,
 * elmo-key). */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "registry/elmo.h"

#include <jansson.h>
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

/* import-elmo */

static const char import_elmo_usage[] =
        "Usage: oorkonde [--data DIR] import-elmo FILE|- --ncp ACRONYM --learner-id ID [--json]\n\n"
        "Imports an ELMO document (EMREX; XML, or gzipped XML) that the contact point ACRONYM\n"
        "of the EMREX registry sent: its signature must verify with the certificate the\n"
        "registry gives for that contact point (and no other), the learner it names must\n"
        "have the learner's name and birth date, and then every result is kept as a foreign\n"
        "achievement with its origin (country, contact point, institution). A document signed\n"
        "with SHA-1 is refused unless the registry import accepted SHA-1 for that contact\n"
        "point, and is then marked elmo-sha1. Nothing is kept when anything is refused;\n"
        "importing the same document again adds nothing.\n\n"
        "  --ncp ACRONYM    the contact point that sent it (see oorkonde emrex registry list)\n"
        "  --learner-id ID  the learner (oorkonde's id) the results belong to\n"
        "  --json           print the outcome as JSON\n"
        "  --help           print this help\n\n"
        "Exit status: 0 imported (or held already), 1 refused (the reason is named), 2 usage\n"
        "errors or unreadable input.\n";

int cmd_import_elmo(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"ncp", required_argument, NULL, 'n'},
	        {"learner-id", required_argument, NULL, 'l'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *ncp = NULL, *learner = NULL;
	struct elmo_import_result r;
	struct depository d;
	struct ok_error err;
	struct buf input;
	bool json = false, cut = false;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'n':
			ncp = optarg;
			break;
		case 'l':
			learner = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(import_elmo_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(c, "expected one FILE (or - for standard input)");
	if (!ncp || !ncp[0] || strlen(ncp) > 64)
		return cli_usage_error(c, "--ncp ACRONYM is required");
	if (!learner || !depository_id_valid(learner))
		return cli_usage_error(c, "--learner-id ID is required");
	buf_init(&input, ELMO_INPUT_MAX + 1);
	if ((rc = cli_read_input(c, argv[optind], &input, &cut)))
		goto out;
	if ((rc = cli_open(c, &d)))
		goto out;
	ok_error_clear(&err);
	/* A cut input is passed on as too large: the reader refuses it with its reason. */
	rc = registry_elmo_import(&d, input.data, cut ? ELMO_INPUT_MAX + 1 : input.len, 0, ncp,
	                          learner, AUDIT_OPERATOR, NULL, NULL, &r, &err);
	depository_close(&d);
	if (json) {
		json_t *doc =
		        rc ? json_pack("{s:b, s:s, s:s}", "imported", 0, "check",
		                       err.field[0] ? err.field : "elmo", "reason", err.message)
		           : json_pack("{s:b, s:s, s:s, s:s, s:b, s:I, s:I, s:I}", "imported", 1,
		                       "ncp", r.ncp, "country", r.country, "signature", r.method,
		                       "sha1", r.sha1, "results", (json_int_t)r.results, "added",
		                       (json_int_t)r.added, "duplicates", (json_int_t)r.duplicates);

		cli_print_json(doc);
	} else if (rc) {
		cli_print_refusal(c, err.field[0] ? err.field : "elmo", &err);
	} else {
		char name[160];

		printf("Imported %zu result%s from EMREX contact point %s (%s): %zu new, %zu held "
		       "already\n",
		       r.results, r.results == 1 ? "" : "s", term_safe(r.ncp, name, sizeof(name)),
		       r.country, r.added, r.duplicates);
		printf("  signature %s checked against the registered certificate%s\n", r.method,
		       r.sha1 ? " (SHA-1: accepted for this contact point only; marked elmo-sha1)"
		              : "");
		printf("  the document names this learner (name and birth date match)\n");
	}
	if (rc)
		rc = rc == OK_EINVALID || rc == OK_ENOTFOUND || rc == OK_ECONFLICT ||
		                     rc == OK_EINPUT || rc == OK_ETOOBIG
		             ? EXIT_REJECTED
		             : EXIT_FAILED;
out:
	sodium_memzero(input.data, input.len);
	buf_release(&input);
	return rc;
}

/* emrex registry import | list */

static const char emrex_usage[] =
        "Usage: oorkonde [--data DIR] emrex registry import EMREG.json [--accept-sha1 ACRONYM]...\n"
        "       oorkonde [--data DIR] emrex registry list [--json]\n\n"
        "registry import loads the EMREX registry (EMREG JSON: \"emps\", each with url,\n"
        "acronym, countryCode, institutions and pubKey, the certificate the contact point\n"
        "signs ELMO documents with). Each contact point replaces the one of the same acronym;\n"
        "a bad entry refuses the whole file, naming it. The certificate is the only key an\n"
        "ELMO document from that contact point is verified with (import-elmo).\n"
        "  --accept-sha1 ACRONYM  accept RSA-SHA1 signatures from this contact point (off\n"
        "                         for every other; results imported so are marked)\n"
        "registry list shows the registered contact points.\n";

static int registry_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"accept-sha1", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *sha1[64];
	size_t n_sha1 = 0;
	struct emrex_registry_result r;
	struct depository d;
	struct ok_error err;
	struct buf input;
	bool cut = false;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 's':
			if (n_sha1 == sizeof(sha1) / sizeof(sha1[0]))
				return cli_usage_error(c, "--accept-sha1 at most 64 times");
			sha1[n_sha1++] = optarg;
			break;
		case 'h':
			fputs(emrex_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(c, "expected one EMREG.json");
	buf_init(&input, EMREG_INPUT_MAX + 1);
	if ((rc = cli_read_input(c, argv[optind], &input, &cut)))
		goto out;
	if ((rc = cli_open(c, &d)))
		goto out;
	ok_error_clear(&err);
	rc = registry_emrex_registry_import(&d, input.data, cut ? EMREG_INPUT_MAX + 1 : input.len,
	                                    sha1, n_sha1, &r, &err);
	depository_close(&d);
	if (rc) {
		ok_error_locate(&err, argv[optind], err.line);
		cli_print_error(c, &err);
		rc = rc == OK_EINPUT || rc == OK_ETOOBIG ? EXIT_REJECTED : EXIT_FAILED;
		goto out;
	}
	printf("Registered %zu EMREX contact point%s (%zu accepted with SHA-1)\n", r.contact_points,
	       r.contact_points == 1 ? "" : "s", r.sha1);
out:
	buf_release(&input);
	return rc;
}

static int print_ncp(void *ctx, const struct store_emrex_ncp *n)
{
	json_t *list = ctx;
	char a[160], u[1100];

	if (list)
		return json_array_append_new(list,
		                             json_pack("{s:s, s:s, s:s, s:b}", "acronym",
		                                       n->acronym, "url", n->url, "country",
		                                       n->country, "accept_sha1", n->accept_sha1))
		               ? OK_ENOMEM
		               : 0;
	printf("%-16s %s  %s%s\n", term_safe(n->acronym, a, sizeof(a)), n->country,
	       term_safe(n->url, u, sizeof(u)), n->accept_sha1 ? "  (SHA-1 accepted)" : "");
	return 0;
}

static int registry_list(struct cli *c, int argc, char **argv)
{
	json_t *list = NULL;
	struct depository d;
	struct ok_error err;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		list = json_array();
	else if (argc != 1)
		return cli_usage_error(c, "unexpected argument");
	if ((rc = cli_open(c, &d))) {
		json_decref(list);
		return rc;
	}
	ok_error_clear(&err);
	rc = registry_emrex_list(&d, print_ncp, list, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		json_decref(list);
		return EXIT_FAILED;
	}
	if (list) {
		char *text = json_dumps(list, JSON_INDENT(2));

		if (text)
			puts(text);
		free(text);
		json_decref(list);
	}
	return EXIT_OK;
}

static int emrex_registry(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"import", "oorkonde emrex registry import", registry_import},
	        {"list", "oorkonde emrex registry list", registry_list},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), emrex_usage,
	                      "import or list");
}

int cmd_emrex(struct cli *c, int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
	        {"registry", "oorkonde emrex registry", emrex_registry},
	};

	return cli_subcommand(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), emrex_usage,
	                      "registry");
}
