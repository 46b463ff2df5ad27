/* The OpenID4VP verifier benchmark (issue 18): whole requests answered, on the library in one
 * thread: a request made from choices, its request object signed and read as a wallet reads
 * it, two SD-JWT VC credentials presented with key-binding JWTs to its nonce, the answer
 * verified (issuer chains, disclosures, key binding, status, DCQL), recorded and read back,
 * against the raw ES256 work a request holds: 3 signatures (the request object and the two
 * key-binding JWTs) and 4 verifications (two issuer signatures, two key-binding JWTs).
 *
 *   oid4vp_bench DIR ACHIEVEMENT_ID ACHIEVEMENT_ID [SECONDS] [ROUNDS]
 * prints a TSV line per measure and round: measure, round, ops, wall_s, cpu_s.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "jose/jws.h"
#include "jose/sdjwt.h"
#include "oid4vp/verifier.h"
#include "registry/sdjwt_credential.h"

struct ctx {
	struct depository d;
	struct jose_signer holder;
	struct jose_jwk holder_pub;
	char *cred[2];
	json_t *ask, *frame;
	uint8_t msg[512], sig[64];
};

static int url_add(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (buf_addch(b, (char)c))
				return 1;
		} else if (buf_addch(b, '%') || buf_addch(b, hex[c >> 4]) ||
		           buf_addch(b, hex[c & 15])) {
			return 1;
		}
	}
	return 0;
}

/* One request, answered and read back verified. */
static int cycle(void *p)
{
	struct ctx *c = p;
	struct oid4vp_created made;
	struct jose_jws jws;
	struct buf jwt, pres, form;
	json_t *payload = NULL, *tok = NULL, *reply = NULL, *doc = NULL;
	struct ok_error err;
	char *text = NULL;
	int rc = 1;

	memset(&jws, 0, sizeof(jws));
	buf_init(&jwt, (size_t)256 << 10);
	buf_init(&pres, (size_t)1 << 20);
	buf_init(&form, (size_t)1 << 20);
	if (oid4vp_request_create(&c->d, c->ask, "bench", NULL, &made, &err) ||
	    oid4vp_request_object(&c->d, made.id, &jwt, &err) ||
	    jose_jws_parse(jwt.data, jwt.len, JOSE_ALG_ES256, NULL, &jws, &err) ||
	    jose_jws_payload_json(&jws, &payload, &err))
		goto out;
	tok = json_pack("{s:[]}", "result");
	for (int i = 0; i < 2; i++) {
		struct jose_sdjwt_kb kb = {
		        .holder = &c->holder,
		        .aud = json_string_value(json_object_get(payload, "client_id")),
		        .nonce = json_string_value(json_object_get(payload, "nonce")),
		        .iat = (int64_t)time(NULL)};

		buf_reset(&pres);
		if (jose_sdjwt_present(c->cred[i], strlen(c->cred[i]), c->frame, &kb, &pres,
		                       &err) ||
		    json_array_append_new(json_object_get(tok, "result"), json_string(pres.data)))
			goto out;
	}
	if (!(text = json_dumps(tok, JSON_COMPACT)) || buf_addstr(&form, "vp_token=") ||
	    url_add(&form, text) || buf_addstr(&form, "&state=") ||
	    url_add(&form, json_string_value(json_object_get(payload, "state"))) ||
	    oid4vp_response(&c->d, NULL, made.id, form.data, form.len, &reply, &err) ||
	    oid4vp_result(&c->d, made.view, &doc, &err))
		goto out;
	if (strcmp(json_string_value(json_object_get(doc, "status")), "verified") != 0) {
		fprintf(stderr, "not verified: %s\n",
		        json_string_value(
		                json_object_get(json_object_get(doc, "result"), "reason")));
		goto out;
	}
	rc = 0;
out:
	if (rc && err.message[0])
		fprintf(stderr, "oid4vp_bench: %s\n", err.message);
	free(text);
	json_decref(payload);
	json_decref(tok);
	json_decref(reply);
	json_decref(doc);
	jose_jws_release(&jws);
	buf_release(&jwt);
	buf_release(&pres);
	buf_release(&form);
	return rc;
}

static int raw_sign(void *p)
{
	struct ctx *c = p;
	return jose_es256_sign(c->holder.ec, c->msg, sizeof(c->msg), c->sig, NULL);
}

static int raw_verify(void *p)
{
	struct ctx *c = p;
	return jose_es256_verify(c->holder_pub.pkey, c->msg, sizeof(c->msg), c->sig, NULL);
}

int main(int argc, char **argv)
{
	double seconds = argc > 4 ? atof(argv[4]) : 3.0;
	int rounds = argc > 5 ? atoi(argv[5]) : 3;
	static const char *const names[] = {"answered", "raw_es256_sign", "raw_es256_verify"};
	bench_fn fns[] = {cycle, raw_sign, raw_verify};
	struct sdjwt_issue_options o = {.vct = SDJWT_VCT_OWN};
	struct ctx c;
	struct ok_error err;
	json_t *hj = NULL;
	struct buf out;

	if (argc < 4 || sodium_init() < 0 || rounds < 1 || seconds <= 0) {
		fprintf(stderr, "usage: oid4vp_bench DIR ID ID [SECONDS] [ROUNDS]\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	randombytes_buf(c.msg, sizeof(c.msg));
	if (depository_open(&c.d, argv[1], &err) || jose_signer_es256_generate(&c.holder, &err) ||
	    jose_signer_public(&c.holder, &c.holder_pub, &err) ||
	    jose_jwk_to_json(&c.holder_pub, &hj, &err)) {
		fprintf(stderr, "oid4vp_bench: %s\n", err.message);
		return 1;
	}
	o.holder_jwk = hj;
	buf_init(&out, (size_t)1 << 20);
	for (int i = 0; i < 2; i++) {
		buf_reset(&out);
		if (registry_sdjwt_issue(&c.d, argv[2 + i], NULL, &o, "operator", "benchmark", &out,
		                         &err)) {
			fprintf(stderr, "oid4vp_bench: %s\n", err.message);
			return 1;
		}
		c.cred[i] = strdup(out.data);
	}
	/* Two credentials for one query: the verifier's choice "multiple" (DCQL's default is one).
	 */
	c.ask = json_pack("{s:[s,s,s,s,s],s:[s],s:b}", "kinds", "diploma", "degree", "course",
	                  "module", "exam", "claims", "birthdate", "multiple", 1);
	c.frame = json_pack("{s:b,s:b,s:b,s:b,s:{s:b}}", "given_name", 1, "family_name", 1,
	                    "birthdate", 1, "title", 1, "institution", "name", 1);
	if (cycle(&c) || raw_sign(&c))
		return 1;
	printf("measure\tround\tops\twall_s\tcpu_s\n");
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < 3; i++) {
			struct bench_run run;

			if (bench_loop(seconds, fns[i], &c, &run))
				return 1;
			printf("%s\t%d\t%llu\t%.3f\t%.3f\n", names[i], r + 1,
			       (unsigned long long)run.ops, run.wall_s, run.cpu_s);
		}
	free(c.cred[0]);
	free(c.cred[1]);
	json_decref(c.ask);
	json_decref(c.frame);
	json_decref(hj);
	buf_release(&out);
	jose_jwk_release(&c.holder_pub);
	jose_signer_release(&c.holder);
	depository_close(&c.d);
	return 0;
}
