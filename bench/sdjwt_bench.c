/* The SD-JWT VC benchmark (issue 17): issuing an SD-JWT with 12 disclosures (and 3 decoys)
 * against one raw ES256 signature with the same libcrypto, and verifying a presentation (all
 * disclosures, with and without a key-binding JWT) against one raw ES256 verification; rounds
 * of SECONDS each, medians of the per-round rates, all in one process on one core.
 *
 *   sdjwt_bench [SECONDS] [ROUNDS]        prints a TSV line per measure and round, then medians
 *   sdjwt_bench SECONDS ROUNDS MEASURE    runs that measure alone (under a profiler)
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "jose/jws.h"
#include "jose/sdjwt.h"

struct ctx {
	struct jose_signer issuer, holder;
	struct jose_jwk issuer_pub;
	json_t *claims, *frame, *header;
	struct buf out;
	char *issued, *presented, *bound;
	char msg[640];
	uint8_t sig[64];
};

/* The issuer's key, resolved once (as a verifier's cache of a validated chain would give it):
 * the measure is the SD-JWT work around the signature, not the key's resolution. */
static int key_of(void *c, const json_t *h, const json_t *p, struct jose_jwk *key,
                  struct ok_error *err)
{
	const struct jose_jwk *pub = c;

	(void)h;
	(void)p;
	(void)err;
	*key = *pub;
	return EVP_PKEY_up_ref(pub->pkey) == 1 ? 0 : OK_ECRYPTO;
}

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

static int verify_with(struct ctx *c, const char *s)
{
	struct jose_sdjwt_expect x = {.algs = JOSE_ALG_ES256,
	                              .issuer_key = key_of,
	                              .ctx = &c->issuer_pub,
	                              .now = (int64_t)time(NULL)};
	struct jose_sdjwt_result r;
	int rc = jose_sdjwt_verify(s, strlen(s), &x, &r, NULL);

	jose_sdjwt_result_release(&r);
	return rc;
}

static int verify_plain(void *p)
{
	struct ctx *c = p;

	return verify_with(c, c->presented);
}

static int verify_bound(void *p)
{
	struct ctx *c = p;

	return verify_with(c, c->bound);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	static const char *const names[] = {"raw_es256_sign", "sdjwt_issue_12", "raw_es256_verify",
	                                    "sdjwt_verify_12", "sdjwt_verify_12_kb"};
	bench_fn fns[] = {raw_sign, issue, raw_verify, verify_plain, verify_bound};
	double rate[5][32], ratio[3][32];
	struct ctx c;
	struct jose_jwk hp;
	json_t *hj, *pf = json_object();
	struct jose_sdjwt_kb kb;
	int i, r;

	if (sodium_init() < 0 || rounds < 1 || rounds > 32 || seconds <= 0)
		return 2;
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.msg, sizeof(c.msg));
	if (jose_signer_es256_generate(&c.issuer, NULL) ||
	    jose_signer_es256_generate(&c.holder, NULL) ||
	    jose_signer_public(&c.issuer, &c.issuer_pub, NULL) ||
	    jose_signer_public(&c.holder, &hp, NULL) || jose_jwk_to_json(&hp, &hj, NULL))
		return 1;
	/* A result as sdjwt_credential.c issues it: 12 disclosable claims, 3 decoys. */
	c.claims = json_pack(
	        "{s:s,s:i,s:i,s:s,s:{s:O},s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
	        "s:i,s:i}",
	        "iss", "https://diploma.example.nl", "iat", 1780000000, "exp", 1811536000, "vct",
	        "https://diploma.example.nl/vct/degree", "cnf", "jwk", hj, "given_name", "Łukasz",
	        "family_name", "Müller-Dağ", "birthdate", "1998-03-27", "title",
	        "Bachelor of Science in Computing Science", "record_id", "2021-MECH-0871",
	        "programme_code", "56980", "grade", "8", "grading_scheme", "1-10", "awarded_on",
	        "2024-07-04", "language", "en", "credits_ects", 180, "eqf_level", 6);
	c.frame = json_pack("{s:[s,s,s,s,s,s,s,s,s,s,s,s],s:i}", "_sd", "given_name", "family_name",
	                    "birthdate", "title", "record_id", "programme_code", "grade",
	                    "grading_scheme", "awarded_on", "language", "credits_ects", "eqf_level",
	                    "_sd_decoy", 3);
	c.header = json_pack("{s:s}", "typ", "dc+sd-jwt");
	buf_init(&c.out, JOSE_SDJWT_MAX);
	if (!c.claims || !c.frame || issue(&c) || raw_sign(&c))
		return 1;
	c.issued = strdup(c.out.data);
	for (const char *const *n =
	             (const char *const[]){"given_name", "family_name", "birthdate", "title",
	                                   "record_id", "programme_code", "grade", "grading_scheme",
	                                   "awarded_on", "language", "credits_ects", "eqf_level",
	                                   NULL};
	     *n; n++)
		json_object_set_new(pf, *n, json_true());
	buf_reset(&c.out);
	if (jose_sdjwt_present(c.issued, strlen(c.issued), pf, NULL, &c.out, NULL))
		return 1;
	c.presented = strdup(c.out.data);
	kb = (struct jose_sdjwt_kb){.holder = &c.holder,
	                            .aud = "https://verifier.example",
	                            .nonce = "n",
	                            .iat = (int64_t)time(NULL)};
	buf_reset(&c.out);
	if (jose_sdjwt_present(c.issued, strlen(c.issued), pf, &kb, &c.out, NULL))
		return 1;
	c.bound = strdup(c.out.data);
	if (verify_plain(&c) || verify_bound(&c))
		return 1;

	if (argc > 3) {
		for (i = 0; i < 5 && strcmp(argv[3], names[i]) != 0; i++)
			;
		if (i == 5)
			return 2;
		for (r = 0; r < rounds; r++) {
			struct bench_run run;

			if (bench_loop(seconds, fns[i], &c, &run))
				return 1;
			printf("%s\t%d\t%llu\t%.3f\t%.1f\n", names[i], r + 1,
			       (unsigned long long)run.ops, run.wall_s,
			       (double)run.ops / run.wall_s);
		}
		return 0;
	}
	printf("measure\tround\tops\twall_s\tops_per_s\n");
	for (r = 0; r < rounds; r++)
		for (i = 0; i < 5; i++) {
			struct bench_run run;

			if (bench_loop(seconds, fns[i], &c, &run))
				return 1;
			rate[i][r] = (double)run.ops / run.wall_s;
			printf("%s\t%d\t%llu\t%.3f\t%.1f\n", names[i], r + 1,
			       (unsigned long long)run.ops, run.wall_s, rate[i][r]);
		}
	/* The ratios per round first: the rounds are close in time, so a load that comes and goes
	 * on a shared machine moves both rates of a round alike. */
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
	return 0;
}
