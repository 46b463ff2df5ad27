/* The SD-JWT VC benchmark (issue 17): issuing an SD-JWT with 12 disclosures (and 3 decoys)
 * against one raw ES256 signature with the same libcrypto, and verifying a presentation of 12
 * disclosures, as `oorkonde verify` and POST /credentials/verify do it (registry_verify: the
 * issuer's x5c chain against the trusted roots, the disclosures, exp, the Token Status List,
 * the issuer), against one raw ES256 verification; rounds of SECONDS each, rates per CPU second
 * of the thread, medians of the rounds, all in one process on one core.
 *
 *   sdjwt_bench DIR ACHIEVEMENT_ID [SECONDS] [ROUNDS]           a TSV line per measure and
 *                                                                round, then the medians
 *   sdjwt_bench DIR ACHIEVEMENT_ID SECONDS ROUNDS MEASURE       that measure alone (a profiler)
 *
 * DIR is a data folder with a wallet key (init --host) holding the achievement (a course result
 * with credits, as the demo's); the credential
 * verified is the one registry_sdjwt_issue makes of it, for a holder key made here. Every
 * verification must say verified, every call succeed: otherwise exit 1. The depository follows
 * its key files with the watch a server's depositories share (depository/key_watch.h), as
 * POST /credentials/verify does; where none opens (a folder on NFS), it says so and goes on
 * without, as the server does.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "jose/jws.h"
#include "jose/sdjwt.h"
#include "registry/sdjwt_credential.h"
#include "registry/verify.h"

#define NAMES 12

/* The 12 claims presented: what a course result's credential discloses at the top level (a
 * course has no EQF level), the institution's object without its own disclosures. */
static const char *const presented_names[NAMES] = {
        "given_name", "family_name",    "birthdate",  "title",    "record_id",    "programme_code",
        "grade",      "grading_scheme", "awarded_on", "language", "credits_ects", "institution"};

struct ctx {
	struct depository d;
	struct jose_signer issuer, holder;
	struct jose_jwk issuer_pub;
	json_t *claims, *frame, *header;
	struct buf out;
	char *presented, *bound;
	char msg[640];
	uint8_t sig[64];
};

static int raw_sign(void *p)
{
	struct ctx *c = p;

	return jose_es256_sign(c->issuer.ec, c->msg, sizeof(c->msg), c->sig, NULL);
}

static int raw_verify(void *p)
{
	struct ctx *c = p;

	return jose_es256_verify(c->issuer_pub.pkey, c->msg, sizeof(c->msg), c->sig, NULL);
}

static int issue(void *p)
{
	struct ctx *c = p;

	buf_reset(&c->out);
	return jose_sdjwt_issue(c->claims, c->frame, c->header, &c->issuer, &c->out, NULL);
}

/* registry_verify with every check, as the CLI and the endpoint call it; not verified fails. */
static int verify_with(struct ctx *c, const char *s, bool kb)
{
	struct verify_options o = {.checks = VERIFY_ALL};
	struct verify_result r;
	struct ok_error err;
	int rc;

	if (kb) {
		o.kb_nonce = "n-0123456789";
		o.kb_aud = "https://verifier.example";
	}
	ok_error_clear(&err);
	rc = registry_verify(&c->d, s, strlen(s), &o, &r, &err);
	if (!rc && (!r.verified || r.count < 4)) {
		for (size_t i = 0; i < r.count; i++)
			if (!r.items[i].passed)
				fprintf(stderr, "sdjwt_bench: %s: %s\n",
				        verify_check_name(r.items[i].check), r.items[i].message);
		if (!r.is_credential)
			fprintf(stderr, "sdjwt_bench: %s\n", r.not_credential);
		rc = 1;
	} else if (rc) {
		fprintf(stderr, "sdjwt_bench: %s\n", err.message);
	}
	verify_result_release(&r);
	return rc;
}

static int verify_plain(void *p)
{
	struct ctx *c = p;

	return verify_with(c, c->presented, false);
}

static int verify_bound(void *p)
{
	struct ctx *c = p;

	return verify_with(c, c->bound, true);
}

/* The synthetic claims and frame of the issuance measure: a result as sdjwt_credential.c makes
 * it, 12 disclosable claims and 3 decoys. */
static int make_claims(struct ctx *c)
{
	json_t *hj;
	struct jose_jwk hp;

	if (jose_signer_public(&c->holder, &hp, NULL) || jose_jwk_to_json(&hp, &hj, NULL))
		return 1;
	jose_jwk_release(&hp);
	c->claims = json_pack(
	        "{s:s,s:i,s:i,s:s,s:{s:o},s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
	        "s:i,s:i}",
	        "iss", "https://diploma.example.nl", "iat", 1780000000, "exp", 1811536000, "vct",
	        "https://diploma.example.nl/vct/degree", "cnf", "jwk", hj, "given_name", "Łukasz",
	        "family_name", "Müller-Dağ", "birthdate", "1998-03-27", "title",
	        "Bachelor of Science in Computing Science", "record_id", "2021-MECH-0871",
	        "programme_code", "56980", "grade", "8", "grading_scheme", "1-10", "awarded_on",
	        "2024-07-04", "language", "en", "credits_ects", 180, "eqf_level", 6);
	c->frame = json_pack("{s:[s,s,s,s,s,s,s,s,s,s,s,s],s:i}", "_sd", "given_name",
	                     "family_name", "birthdate", "title", "record_id", "programme_code",
	                     "grade", "grading_scheme", "awarded_on", "language", "credits_ects",
	                     "eqf_level", "_sd_decoy", 3);
	c->header = json_pack("{s:s}", "typ", "dc+sd-jwt");
	return !c->claims || !c->frame || !c->header;
}

/* The depository's credential for the achievement, presented with the 12 claims, without and
 * with a key-binding JWT. */
static int make_presentations(struct ctx *c, const char *achievement)
{
	struct sdjwt_issue_options o = {.vct = SDJWT_VCT_OWN};
	struct jose_sdjwt_kb kb = {.holder = &c->holder,
	                           .aud = "https://verifier.example",
	                           .nonce = "n-0123456789",
	                           .iat = (int64_t)time(NULL)};
	struct jose_jwk hp;
	struct ok_error err;
	json_t *hj = NULL, *pf = json_object();
	char *issued = NULL;
	int rc = 1;

	ok_error_clear(&err);
	for (size_t i = 0; i < NAMES; i++)
		json_object_set_new(pf, presented_names[i], json_true());
	if (jose_signer_public(&c->holder, &hp, &err) || jose_jwk_to_json(&hp, &hj, &err))
		goto out;
	o.holder_jwk = hj;
	buf_reset(&c->out);
	if (registry_sdjwt_issue(&c->d, achievement, NULL, &o, "operator", "benchmark", &c->out,
	                         &err))
		goto out;
	issued = strdup(c->out.data);
	buf_reset(&c->out);
	if (!issued || jose_sdjwt_present(issued, strlen(issued), pf, NULL, &c->out, &err))
		goto out;
	c->presented = strdup(c->out.data);
	buf_reset(&c->out);
	if (jose_sdjwt_present(issued, strlen(issued), pf, &kb, &c->out, &err))
		goto out;
	c->bound = strdup(c->out.data);
	rc = !c->presented || !c->bound;
out:
	if (err.code)
		fprintf(stderr, "sdjwt_bench: %s\n", err.message);
	jose_jwk_release(&hp);
	json_decref(hj);
	json_decref(pf);
	free(issued);
	return rc;
}

/* Disclosures in a presentation: the '~'s after the JWS, less the one before a KB-JWT. */
static size_t disclosures_in(const char *s)
{
	size_t n = 0;

	for (s = strchr(s, '~'); s && s[1]; s = strchr(s + 1, '~'))
		n++;
	return n;
}

int main(int argc, char **argv)
{
	double seconds = argc > 3 ? atof(argv[3]) : 2.0;
	int rounds = argc > 4 ? atoi(argv[4]) : 3;
	static const char *const names[] = {"raw_es256_sign", "sdjwt_issue_12", "raw_es256_verify",
	                                    "sdjwt_verify_12", "sdjwt_verify_12_kb"};
	bench_fn fns[] = {raw_sign, issue, raw_verify, verify_plain, verify_bound};
	double rate[5][32], ratio[3][32];
	static struct ctx c;
	static struct depository_key_watch watch;
	struct ok_error err;
	bool watching;
	int i, r;

	if (argc < 3 || sodium_init() < 0 || rounds < 1 || rounds > 32 || seconds <= 0) {
		fprintf(stderr, "usage: sdjwt_bench DIR ACHIEVEMENT_ID [SECONDS] [ROUNDS] "
		                "[MEASURE]\n");
		return 2;
	}
	randombytes_buf(c.msg, sizeof(c.msg));
	buf_init(&c.out, JOSE_SDJWT_MAX);
	ok_error_clear(&err);
	if (depository_open(&c.d, argv[1], &err) || jose_signer_es256_generate(&c.issuer, &err) ||
	    jose_signer_es256_generate(&c.holder, &err) ||
	    jose_signer_public(&c.issuer, &c.issuer_pub, &err)) {
		fprintf(stderr, "sdjwt_bench: %s\n", err.message);
		return 1;
	}
	if (depository_key_watch_open(&watch, argv[1], &err) == 0)
		c.d.key_watch = &watch;
	else
		fprintf(stderr, "sdjwt_bench: no key watch: %s\n", err.message);
	ok_error_clear(&err);
	if (make_claims(&c) || issue(&c) || raw_sign(&c) || make_presentations(&c, argv[2]) ||
	    verify_plain(&c) || verify_bound(&c))
		return 1;
	if (disclosures_in(c.presented) != NAMES) {
		fprintf(stderr, "sdjwt_bench: the presentation holds %zu disclosures, not %d\n",
		        disclosures_in(c.presented), NAMES);
		return 1;
	}

	if (argc > 5) {
		for (i = 0; i < 5 && strcmp(argv[5], names[i]) != 0; i++)
			;
		if (i == 5)
			return 2;
		for (r = 0; r < rounds; r++) {
			struct bench_run run;

			if (bench_loop(seconds, fns[i], &c, &run))
				return 1;
			printf("%s\t%d\t%llu\t%.3f\t%.1f\n", names[i], r + 1,
			       (unsigned long long)run.ops, run.cpu_s, (double)run.ops / run.cpu_s);
		}
		return 0;
	}
	printf("measure\tround\tops\tcpu_s\tops_per_cpu_s\n");
	for (r = 0; r < rounds; r++)
		for (i = 0; i < 5; i++) {
			struct bench_run run;

			if (bench_loop(seconds, fns[i], &c, &run))
				return 1;
			rate[i][r] = (double)run.ops / run.cpu_s;
			printf("%s\t%d\t%llu\t%.3f\t%.1f\n", names[i], r + 1,
			       (unsigned long long)run.ops, run.cpu_s, rate[i][r]);
		}
	/* The ratios per round first: the rounds are close in time, so whatever else the machine
	 * does (its caches, its clock) moves both rates of a round alike. */
	for (r = 0; r < rounds; r++) {
		ratio[0][r] = rate[1][r] / rate[0][r];
		ratio[1][r] = rate[3][r] / rate[2][r];
		ratio[2][r] = rate[4][r] / rate[2][r];
	}
	for (i = 0; i < 3; i++)
		ratio[i][0] = bench_median(ratio[i], (size_t)rounds);
	for (i = 0; i < 5; i++)
		rate[i][0] = bench_median(rate[i], (size_t)rounds);
	printf("median\t%s\t%.1f/s\n", names[0], rate[0][0]);
	printf("median\t%s\t%.1f/s\t%.2fx of raw sign (median of the rounds' ratios)\n", names[1],
	       rate[1][0], ratio[0][0]);
	printf("median\t%s\t%.1f/s\n", names[2], rate[2][0]);
	printf("median\t%s\t%.1f/s\t%.2fx of raw verify\n", names[3], rate[3][0], ratio[1][0]);
	printf("median\t%s\t%.1f/s\t%.2fx of raw verify (two signatures)\n", names[4], rate[4][0],
	       ratio[2][0]);
	jose_signer_release(&c.issuer);
	jose_signer_release(&c.holder);
	jose_jwk_release(&c.issuer_pub);
	json_decref(c.claims);
	json_decref(c.frame);
	json_decref(c.header);
	free(c.presented);
	free(c.bound);
	buf_release(&c.out);
	watching = c.d.key_watch != NULL;
	depository_close(&c.d);
	if (watching)
		depository_key_watch_close(&watch);
	return 0;
}
