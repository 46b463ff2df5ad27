/* oorkonde issue / verify / identity: credentials on the command line. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/term.h"
#include "core/format.h"
#include "registry/sdjwt_credential.h"
#include "registry/credential.h"
#include "registry/verify.h"
#include "registry/verify_presentation.h"
#include "registry/verify_summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char issue_usage[] =
        "Usage: oorkonde [--data DIR] issue ACHIEVEMENT_ID [--format di|jwt] [--cryptosuite S]\n"
        "                [--holder-did DID] [-o FILE]\n"
        "       oorkonde [--data DIR] issue ACHIEVEMENT_ID --format sd-jwt [--holder-jwk FILE]\n"
        "                [--vct own|eu-learning] [--lifetime-days N] [-o FILE]\n"
        "       oorkonde [--data DIR] issue --learner-id ID -o DIR [--format di|jwt]\n"
        "                [--cryptosuite S]\n\n"
        "Writes a signed credential: a W3C Verifiable Credential 2.0 (Open Badges 3.0) with a\n"
        "Data Integrity proof (di, the default) or as VC-JOSE (jwt), or an SD-JWT VC for\n"
        "wallets (sd-jwt). With --learner-id, writes one file per achievement of the learner\n"
        "into DIR (ID.json or ID.jwt).\n\n"
        "  --format di|jwt   the credential's form\n"
        "  --cryptosuite S   the proof's cryptosuite, eddsa-rdfc-2022 or eddsa-jcs-2022\n"
        "                    (default: config cryptosuite, else eddsa-rdfc-2022)\n"
        "  --holder-did DID  the learner wallet's did:key, named as the subject's id, so that\n"
        "                    only a presentation signed by that key binds it (di, jwt)\n"
        "  --format sd-jwt   an SD-JWT VC (dc+sd-jwt) for wallets, signed ES256 with the wallet\n"
        "                    key (x5c), every personal and result claim selectively disclosable\n"
        "  --holder-jwk FILE the wallet's public key (a JWK), bound as cnf.jwk (sd-jwt)\n"
        "  --vct own|eu-learning  the depository's own type (BASE/vct/KIND, the default) or\n"
        "                    the EU Learning Credential (sd-jwt)\n"
        "  --lifetime-days N days until exp (sd-jwt; default 365)\n"
        "  -o, --output PATH the file (or, with --learner-id, the folder); default standard "
        "output\n"
        "  --learner-id ID   all of a learner's achievements\n"
        "  --help            print this help\n";

static int write_file(struct cli *c, const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, path, strerror(errno));
		if (f)
			fclose(f);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

struct issue_all {
	struct cli *c;
	enum credential_format format;
	const char *dir;
	size_t written;
	int exit_code;
};

static void write_into_dir(void *ctx, const char *achievement_id, int rc,
                           const struct buf *credential, const struct ok_error *err)
{
	struct issue_all *ia = ctx;
	struct buf path;

	if (rc) {
		cli_print_error(ia->c, err);
		ia->exit_code = EXIT_FAILED;
		return;
	}
	buf_init(&path, OK_PATH_MAX);
	if (buf_addf(&path, "%s/%s.%s", ia->dir, achievement_id,
	             ia->format == CREDENTIAL_JWT ? "jwt" : "json") != 0) {
		struct ok_error e;

		ok_fail(&e, OK_ENOMEM, "out of memory");
		cli_print_error(ia->c, &e);
		ia->exit_code = EXIT_FAILED;
	} else if (write_file(ia->c, path.data, credential) == EXIT_OK) {
		ia->written++;
	} else {
		ia->exit_code = EXIT_FAILED;
	}
	buf_release(&path);
}

/* issue ID --format sd-jwt: an SD-JWT VC, bound to the holder's JWK when one is given. */
static int issue_sdjwt(struct cli *c, const char *id, const char *holder_path,
                       struct sdjwt_issue_options *so, const char *output)
{
	json_t *jwk = NULL;
	struct depository d;
	struct ok_error err;
	struct buf b;
	int rc, exit_code = EXIT_OK;

	if (holder_path) {
		struct buf text;
		bool cut = false;

		buf_init(&text, 64 << 10);
		rc = cli_read_input(c, holder_path, &text, &cut);
		if (!rc && (cut || !(jwk = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES,
		                                      NULL)))) {
			fprintf(stderr, "%s: %s is not a JSON Web Key (JSON, 64 KiB at most)\n",
			        c->prog, holder_path);
			rc = EXIT_FAILED;
		}
		buf_release(&text);
		if (rc)
			return rc;
		so->holder_jwk = jwk;
	}
	if ((rc = cli_open(c, &d))) {
		json_decref(jwk);
		return rc;
	}
	ok_error_clear(&err);
	buf_init(&b, 0);
	rc = registry_sdjwt_issue(&d, id, NULL, so, AUDIT_OPERATOR, NULL, &b, &err);
	depository_close(&d);
	json_decref(jwk);
	if (rc) {
		cli_print_error(c, &err);
		exit_code = rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	} else if (output) {
		exit_code = write_file(c, output, &b);
	} else {
		fwrite(b.data, 1, b.len, stdout);
		fputc('\n', stdout);
	}
	buf_release(&b);
	return exit_code;
}

int cmd_issue(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"output", required_argument, NULL, 'o'},
	        {"learner-id", required_argument, NULL, 'l'},
	        {"cryptosuite", required_argument, NULL, 'c'},
	        {"holder-jwk", required_argument, NULL, 'k'},
	        {"holder-did", required_argument, NULL, 'H'},
	        {"vct", required_argument, NULL, 'v'},
	        {"lifetime-days", required_argument, NULL, 'L'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	enum credential_format format = CREDENTIAL_DI;
	const char *output = NULL, *learner = NULL, *suite = NULL, *holder = NULL, *did = NULL;
	struct sdjwt_issue_options so = {0};
	bool sdjwt = false, sd_opts = false;
	struct depository d;
	struct ok_error err;
	struct buf b;
	int opt, rc, exit_code = EXIT_OK;

	while ((opt = cli_getopt(argc, argv, "ho:", opts)) != -1) {
		switch (opt) {
		case 'f':
			sdjwt = strcmp(optarg, "sd-jwt") == 0;
			if (!sdjwt && credential_format_parse(optarg, &format) != 0)
				return cli_usage_error(c, "--format must be di, jwt or sd-jwt");
			break;
		case 'k':
			holder = optarg;
			sd_opts = true;
			break;
		case 'H':
			did = optarg;
			break;
		case 'v':
			if (sdjwt_vct_parse(optarg, &so.vct) != 0)
				return cli_usage_error(c, "--vct must be own or eu-learning");
			sd_opts = true;
			break;
		case 'L': {
			char *end;
			long days = strtol(optarg, &end, 10);

			if (!*optarg || *end || days < 1 || days > 3650)
				return cli_usage_error(c, "--lifetime-days takes 1-3650");
			so.lifetime_s = (int64_t)days * 86400;
			sd_opts = true;
			break;
		}
		case 'o':
			output = optarg;
			break;
		case 'l':
			learner = optarg;
			break;
		case 'c':
			suite = optarg;
			break;
		case 'h':
			fputs(issue_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (learner ? optind != argc : optind + 1 != argc)
		return cli_usage_error(c, learner ? "--learner-id takes no achievement id"
		                                  : "expected one ACHIEVEMENT_ID");
	if (learner && !output)
		return cli_usage_error(c, "--learner-id needs -o DIR");
	if (sd_opts && !sdjwt)
		return cli_usage_error(c,
		                       "--holder-jwk, --vct and --lifetime-days are for --format "
		                       "sd-jwt");
	if (sdjwt && learner)
		return cli_usage_error(c, "--format sd-jwt issues one achievement at a time");
	if (sdjwt && suite)
		return cli_usage_error(c, "--cryptosuite is for Data Integrity (di) credentials");
	if (did && (sdjwt || learner))
		return cli_usage_error(c, "--holder-did is for one di or jwt credential (sd-jwt: "
		                          "--holder-jwk)");
	if (sdjwt)
		return issue_sdjwt(c, argv[optind], holder, &so, output);
	if (suite && credential_format_with_suite(&format, suite) != 0)
		return cli_usage_error(c, format == CREDENTIAL_JWT
		                                  ? "--cryptosuite is for Data Integrity (di) "
		                                    "credentials, not jwt"
		                                  : "--cryptosuite must be eddsa-rdfc-2022 or "
		                                    "eddsa-jcs-2022");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	if (learner) {
		struct issue_all ia = {c, format, output, 0, EXIT_OK};
		if (mkdir(output, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "%s: cannot create %s: %s\n", c->prog, output,
			        strerror(errno));
			depository_close(&d);
			return EXIT_FAILED;
		}
		rc = registry_credential_issue_learner(&d, learner, format, AUDIT_OPERATOR,
		                                       write_into_dir, &ia, &err);
		if (rc) {
			cli_print_error(c, &err);
			exit_code = EXIT_FAILED;
		} else {
			printf("Wrote %zu credentials into %s\n", ia.written, output);
			exit_code = ia.exit_code;
		}
		depository_close(&d);
		return exit_code;
	}
	buf_init(&b, 0);
	rc = did ? registry_credential_issue_bound(&d, argv[optind], format, did, AUDIT_OPERATOR,
	                                           &b, &err)
	         : registry_credential_issue(&d, argv[optind], NULL, format, AUDIT_OPERATOR, &b,
	                                     &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		exit_code = rc == OK_ENOTFOUND ? EXIT_REJECTED : EXIT_FAILED;
	} else if (output) {
		exit_code = write_file(c, output, &b);
	} else {
		fwrite(b.data, 1, b.len, stdout);
		fputc('\n', stdout);
	}
	buf_release(&b);
	return exit_code;
}

#define FIELD_MAX 1300

/* A string member for a terminal, "-" when absent, made safe by term_safe: a credential's text
 * cannot move the cursor, retitle the terminal or reorder what follows it. */
static const char *field(const json_t *o, const char *key, char out[FIELD_MAX])
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? term_safe(s, out, FIELD_MAX) : "-";
}

/* What was verified, first: the holder, the result, the headline verdict. The credential's
 * own values are printed as they are: they are what the verifier is asked to trust. */
static void print_summary(struct depository *d, const struct verify_result *r)
{
	struct verify_verdict v;
	json_t *holder = verify_holder_json(r->credential);
	json_t *a = verify_achievement_json(r->credential);
	const json_t *credits = json_object_get(a, "credits");
	char date[RENDER_DATE_TEXT_MAX], number[32], headline[160], f[FIELD_MAX], g[FIELD_MAX];

	verify_verdict_of(d, r, &v);
	verify_headline_text(&v, headline, sizeof(headline));
	/* A credential whose signature or issuer fails, or was not checked (--checks without
	 * proof or issuer), verified nothing it states: its claims are not printed as if they
	 * were the answer. */
	if (!v.stated_ok) {
		json_decref(holder);
		json_decref(a);
		holder = a = NULL;
	}
	if (holder) {
		printf("Holder:      %s\n", field(holder, "name", f));
		if (json_is_string(json_object_get(holder, "birth_date"))) {
			render_date_text(field(holder, "birth_date", f), "en", date, sizeof(date));
			printf("Born:        %s\n", date);
		}
	}
	if (a) {
		render_date_text(field(a, "awarded_on", f), "en", date, sizeof(date));
		if (json_is_number(credits))
			render_number_text(json_number_value(credits), "en", number,
			                   sizeof(number));
		else
			snprintf(number, sizeof(number), "-"); /* a dash: fits */
		printf("Result:      %s\n", field(a, "title", f));
		printf("Kind:        %s\n", field(a, "kind", f));
		if (json_is_string(json_object_get(a, "country")))
			printf("Awarded by:  %s (%s)\n", field(a, "institution", f),
			       field(a, "country", g));
		else
			printf("Awarded by:  %s\n", field(a, "institution", f));
		printf("Awarded on:  %s\n", date);
		printf("Credits:     %s\n", number);
		printf("Grade:       %s\n", field(a, "grade", f));
	}
	printf("Verdict:     %s\n\n", headline);
	json_decref(holder);
	json_decref(a);
}

static const char verify_usage[] =
        "Usage: oorkonde [--data DIR] verify FILE|- [--checks LIST] [--any-issuer] [--json]\n"
        "                [--challenge TEXT] [--domain TEXT]\n\n"
        "Checks a credential (JSON with an eddsa-jcs-2022 proof, a VC-JOSE token, or an SD-JWT VC\n"
        "with or without a key-binding JWT, its x5c chain against the wallet CA and\n"
        "wallet-roots.pem of the data folder) and explains\n"
        "each check. Works without a data folder too (then no issuer is trusted).\n"
        "A Verifiable Presentation is recognised by its type: its proof is checked (purpose\n"
        "authentication, the holder's key), then every credential it carries (embedded, or\n"
        "enveloped VC-JOSE), each reported on its own.\n\n"
        "  --checks LIST     which checks to run on credentials: proof,validity,status,issuer\n"
        "                    (default: all)\n"
        "  --any-issuer      accept an issuer that is not on the trust list (with a warning)\n"
        "  --challenge TEXT  the challenge a presentation's proof must carry (for an SD-JWT\n"
        "                    VC: the nonce of its key-binding JWT)\n"
        "  --domain TEXT     the domain a presentation's proof must carry (for an SD-JWT VC:\n"
        "                    the aud of its key-binding JWT)\n"
        "  --json            print the W3C VC-API verification result\n"
        "  --help            print this help\n\n"
        "Exit status: 0 valid, 1 not valid (forged, altered, expired, revoked, untrusted issuer,\n"
        "a presentation's challenge or domain not the one asked for), 2 not a credential or\n"
        "presentation at all, or the input could not be read.\n";

/* The checks of one credential's result, one line each, escaped: they quote the file. */
static void print_checks(const struct verify_result *r, const char *indent)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		printf("%s%-4s %-9s ", indent,
		       !verify_item_applicable(r, i) ? "n/a"
		       : !r->items[i].passed         ? "FAIL"
		       : r->items[i].warning         ? "WARN"
		                                     : "ok",
		       verify_check_name(r->items[i].check));
		term_put(stdout, verify_item_applicable(r, i)
		                         ? r->items[i].message
		                         : "not applicable: the signature does not hold");
		putchar('\n');
	}
}

static void print_json(json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (text)
		puts(text);
	free(text);
	json_decref(doc);
}

/* A presentation: its own checks, then each credential as `verify` prints one. */
static int print_presentation(struct depository *d, const struct vp_result *r, bool json)
{
	size_t i;

	if (json) {
		print_json(vp_result_json(d, r));
		return r->verified ? EXIT_OK : EXIT_REJECTED;
	}
	printf("Presentation from ");
	term_put(stdout, r->holder[0] ? r->holder : "(no holder named)");
	putchar('\n');
	for (i = 0; i < r->count; i++) {
		printf("  %-4s %-9s ",
		       !r->checks[i].passed   ? "FAIL"
		       : r->checks[i].warning ? "WARN"
		                              : "ok",
		       r->checks[i].name);
		term_put(stdout, r->checks[i].message);
		putchar('\n');
	}
	for (i = 0; i < r->n_credentials; i++) {
		const struct verify_result *c = &r->credentials[i].r;
		printf("\nCredential %zu of %zu", i + 1, r->n_credentials);
		if (!c->is_credential) {
			printf(": NOT A CREDENTIAL: ");
			term_put(stdout, c->not_credential);
			putchar('\n');
			continue;
		}
		printf(" (%s%s) from ",
		       r->credentials[i].kind == VC_PRESENTATION_ENVELOPED ? "enveloped, " : "",
		       strcmp(c->format, "jwt") ? "JSON, Data Integrity" : "VC-JOSE");
		term_put(stdout, c->issuer);
		printf("\n");
		print_summary(d, c);
		print_checks(c, "  ");
		printf("%s\n", c->verified ? "VALID" : "NOT VALID");
	}
	if (r->n_credentials == 0)
		printf("\nThe presentation carries no credentials.\n");
	printf("\nPresentation %s\n", r->verified ? "VALID" : "NOT VALID");
	return r->verified ? EXIT_OK : EXIT_REJECTED;
}

/* `verify` of a presentation file (see verify_usage). */
static int verify_presentation(struct cli *c, struct depository *d, const struct buf *input,
                               const struct vp_options *o, bool json)
{
	struct vp_result r;
	struct ok_error err;
	int rc, exit_code;

	ok_error_clear(&err);
	rc = registry_verify_presentation_once(d, input->data, input->len, o, 300, &r, &err);
	if (rc) {
		vp_result_release(&r);
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (!r.is_presentation) {
		if (json) {
			print_json(vp_result_json(d, &r));
		} else {
			printf("NOT A PRESENTATION: ");
			term_put(stdout, r.not_presentation);
			putchar('\n');
		}
		exit_code = EXIT_FAILED;
	} else {
		exit_code = print_presentation(d, &r, json);
	}
	vp_result_release(&r);
	return exit_code;
}

int cmd_verify(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"checks", required_argument, NULL, 'c'},
	        {"any-issuer", no_argument, NULL, 'a'},
	        {"json", no_argument, NULL, 'j'},
	        {"challenge", required_argument, NULL, 'C'},
	        {"domain", required_argument, NULL, 'D'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	/* The operator's own command: a did:key issuer's lists are fetched wherever they are. */
	struct verify_options o = {.status_any_host = true};
	struct vp_options vo = {0};
	struct depository_identity id = {0};
	struct verify_result r;
	struct depository d;
	struct ok_error err;
	struct stat st;
	struct buf input;
	bool cut;
	bool json = false, have_d = false;
	int opt, rc, exit_code;

	ok_error_clear(&err);
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'c':
			if (verify_checks_parse(optarg, &o.checks, &err) != 0)
				return cli_usage_error(c, "%s", err.message);
			break;
		case 'a':
			o.any_issuer = true;
			break;
		case 'j':
			json = true;
			break;
		case 'C':
		case 'D':
			if (!*optarg || strlen(optarg) > VP_CHALLENGE_MAX)
				return cli_usage_error(c, "--%s must be 1 to %d bytes",
				                       opt == 'C' ? "challenge" : "domain",
				                       VP_CHALLENGE_MAX);
			*(opt == 'C' ? &vo.challenge : &vo.domain) = optarg;
			break;
		case 'h':
			fputs(verify_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one FILE (or - for standard input)");
	buf_init(&input, ((size_t)1 << 20) + 1);
	/* Input past the cap is kept cut: the verifier then answers, in the chosen output form,
	 * that it is too large. */
	if ((exit_code = cli_read_input(c, argv[optind], &input, &cut)) != EXIT_OK)
		goto out;
	/* The trust list and the depository's own identity come from the data folder, if any. */
	if (stat(c->data_dir, &st) == 0) {
		if ((rc = cli_open(c, &d))) {
			exit_code = rc;
			goto out;
		}
		have_d = true;
		/* The operator checks the depository's own records here (`oorkonde retention
		 * certificates RUN -o f.json && oorkonde verify f.json`): those it signed before
		 * its own context existed verify as they did (verify_options.legacy_own_issuer). */
		if ((rc = registry_identity(&d, &id, &err))) {
			cli_print_error(c, &err);
			exit_code = EXIT_FAILED;
			goto out;
		}
	}
	if (registry_is_presentation(input.data, input.len)) {
		vo.verify = o;
		exit_code = verify_presentation(c, have_d ? &d : NULL, &input, &vo, json);
		goto out;
	}
	/* For an SD-JWT VC, the challenge and domain are its key-binding JWT's nonce and aud. */
	o.kb_nonce = vo.challenge;
	o.kb_aud = vo.domain;
	/* A single credential only, not a presentation's (set after vo.verify was copied). */
	o.legacy_own_issuer = have_d ? id.did : NULL;
	/* The summary and --json's holder and achievement read the credential (r.credential). */
	o.want_credential = true;
	/* One run, one credential: what is fetched is kept five minutes at most. */
	rc = registry_verify_once(have_d ? &d : NULL, input.data, input.len, &o, 300, &r, &err);
	if (rc) {
		cli_print_error(c, &err);
		exit_code = EXIT_FAILED;
		goto out;
	}
	if (json) {
		print_json(verify_report_json(have_d ? &d : NULL, &r));
	} else if (!r.is_credential) {
		printf("NOT A CREDENTIAL: ");
		term_put(stdout, r.not_credential);
		putchar('\n');
	} else {
		print_summary(have_d ? &d : NULL, &r);
		/* The issuer and what the checks quote come from the file: escaped. */
		printf("Credential (%s) from ", !strcmp(r.format, "sd-jwt") ? "SD-JWT VC"
		                                : strcmp(r.format, "jwt")   ? "JSON, Data Integrity"
		                                                            : "VC-JOSE");
		term_put(stdout, r.issuer);
		putchar('\n');
		print_checks(&r, "  ");
		printf("%s\n", r.verified ? "VALID" : "NOT VALID");
	}
	exit_code = !r.is_credential ? EXIT_FAILED : r.verified ? EXIT_OK : EXIT_REJECTED;
	verify_result_release(&r);
out:
	registry_identity_release(&id);
	if (have_d)
		depository_close(&d);
	buf_release(&input);
	return exit_code;
}

static const char identity_usage[] = "Usage: oorkonde [--data DIR] identity\n\n"
                                     "Prints the depository's DID and its DID document.\n";

int cmd_identity(struct cli *c, int argc, char **argv)
{
	struct depository d;
	struct ok_error err;
	json_t *doc = NULL;
	char *text;
	int rc;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(identity_usage, stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error(c, "unexpected argument '%s'", argv[1]);
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_did_document(&d, &doc, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n%s\n", json_string_value(json_object_get(doc, "id")), text ? text : "");
	free(text);
	json_decref(doc);
	return EXIT_OK;
}
