/* The credentials benchmark (issue 3; bench/vc runs it, see docs/benchmarks.md).
 *
 *   vc_bench DATA_DIR CREDENTIAL.json ACHIEVEMENT_ID [--seconds S] [--cases LIST]
 *
 * On one credential issued by the depository in DATA_DIR (a did:key issuer), runs each case once
 * for S seconds (default 3) on one thread and prints one tab-separated line per case:
 *
 *   case  ops  wall_s  cpu_s  per_wall_s  per_cpu_s
 *
 * Cases (LIST is comma-separated; default all, in this order):
 *   raw-verify     crypto_sign_verify_detached over 64 bytes (the floor)
 *   raw-sign       crypto_sign_detached over 64 bytes (the floor)
 *   verify         registry_verify, checks proof,validity,issuer (the depository's own DID), as
 *                  any verifier calls it (the default options: the verdict, no jansson copy of
 *                  the credential in r->credential)
 *   verify-status  registry_verify, all four checks (status read from the local lists): on the
 *                  eddsa-jcs-2022 credential, issue 22's figure (bench/vc: verify-status-jcs)
 *   verify-copy    verify with verify_options.want_credential (a caller that reads the
 *                  credential: its jansson copy in r->credential, as the CLI's summary)
 *   verify-status-copy  verify-status with verify_options.want_credential
 *   verify-expand  verify with the data model's JSON-LD check by full expansion instead of the
 *                  depository's table of the pinned contexts' terms (the cost before it)
 *   proof-create   vc_proof_create on the credential without its proof, in the credential's
 *                  cryptosuite (JCS or JSON-LD + RDFC-1.0, SHA-256, Ed25519, base58btc), with the
 *                  depository's key
 *   issue          registry_credential_issue (read the achievement and learner, unseal, build,
 *                  sign, pretty-print, audit event committed)
 *
 * The depository is opened with depository_open; only "issue" writes (its audit events). Every
 * verification must say verified, every call must succeed: otherwise exit 1.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "core/buf.h"
#include "registry/credential.h"
#include "depository/depository.h"
#include "registry/verify.h"
#include "vc/jcs.h"
#include "vc/proof.h"

struct ctx {
	struct depository d;
	struct depository_identity id;
	const char *achievement;
	char *text; /* the credential as issued */
	size_t len;
	json_t *unsigned_vc;
	unsigned char raw_pk[crypto_sign_PUBLICKEYBYTES], raw_sk[crypto_sign_SECRETKEYBYTES];
	unsigned char msg[64], sig[crypto_sign_BYTES];
	unsigned checks;
	enum vc_suite suite; /* the credential's, for proof-create */
};

static int fail(const char *what, const struct ok_error *err)
{
	fprintf(stderr, "vc_bench: %s: %s\n", what, err ? err->message : "failed");
	return 1;
}

static int case_raw_verify(void *p)
{
	struct ctx *c = p;

	if (crypto_sign_verify_detached(c->sig, c->msg, sizeof(c->msg), c->raw_pk) != 0)
		return fail("raw verify", NULL);
	return 0;
}

static int case_raw_sign(void *p)
{
	struct ctx *c = p;

	crypto_sign_detached(c->sig, NULL, c->msg, sizeof(c->msg), c->raw_sk);
	return 0;
}

/* A case's checks with this bit: verify_options.want_credential (the copy in r->credential). */
#define WANT_COPY 0x100u

static int case_verify(void *p)
{
	struct ctx *c = p;
	struct verify_options o = {.checks = c->checks & VERIFY_ALL,
	                           .want_credential = (c->checks & WANT_COPY) != 0};
	struct verify_result r;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = registry_verify(&c->d, c->text, c->len, &o, &r, &err);
	if (rc)
		return fail("registry_verify", &err);
	if (!r.verified || (r.credential != NULL) != ((c->checks & WANT_COPY) != 0)) {
		for (size_t i = 0; i < r.count; i++)
			if (!r.items[i].passed)
				fprintf(stderr, "vc_bench: %s: %s\n",
				        verify_check_name(r.items[i].check), r.items[i].message);
		verify_result_release(&r);
		return fail("registry_verify", NULL);
	}
	verify_result_release(&r);
	return 0;
}

/* The same verification with the data model's JSON-LD check told by the full expansion (no
 * table of the pinned contexts' terms): what that check cost before vc/jsonld_fast.h. */
static int case_verify_expand(void *p)
{
	struct ctx *c = p;
	struct vc_jsonld_terms *t = c->d.jsonld_terms;
	int rc;

	c->d.jsonld_terms = NULL;
	rc = case_verify(p);
	c->d.jsonld_terms = t;
	return rc;
}

static int case_proof_create(void *p)
{
	struct ctx *c = p;
	struct vc_proof_options opt = {.verification_method = c->id.vm,
	                               .created = "2026-01-01T00:00:00Z",
	                               .suite = c->suite};
	struct ok_error err;
	json_t *secured = NULL;

	ok_error_clear(&err);
	if (vc_proof_create(c->unsigned_vc, &opt, c->id.sk, &secured, &err))
		return fail("vc_proof_create", &err);
	json_decref(secured);
	return 0;
}

static int case_issue(void *p)
{
	struct ctx *c = p;
	struct ok_error err;
	struct buf out;
	int rc;

	buf_init(&out, 0);
	ok_error_clear(&err);
	rc = registry_credential_issue(&c->d, c->achievement, NULL, CREDENTIAL_DI, "bench", &out,
	                               &err);
	buf_release(&out);
	return rc ? fail("registry_credential_issue", &err) : 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)n + 1)) && fread(data, 1, (size_t)n, f) == (size_t)n) {
		data[n] = '\0';
		*len = (size_t)n;
	} else {
		free(data);
		data = NULL;
	}
	fclose(f);
	return data;
}

static const struct {
	const char *name;
	bench_fn fn;
	unsigned checks;
} cases[] = {
        {"raw-verify", case_raw_verify, 0},
        {"raw-sign", case_raw_sign, 0},
        {"verify", case_verify, VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_ISSUER},
        {"verify-status", case_verify, VERIFY_ALL},
        {"verify-copy", case_verify, VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_ISSUER | WANT_COPY},
        {"verify-status-copy", case_verify, VERIFY_ALL | WANT_COPY},
        {"verify-expand", case_verify_expand, VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_ISSUER},
        {"proof-create", case_proof_create, 0},
        {"issue", case_issue, 0},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static bool wanted(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	const char *list = NULL;
	double seconds = 3;
	struct ok_error err;
	json_t *vc;
	size_t i;
	int a;

	if (argc < 4) {
		fprintf(stderr, "usage: vc_bench DATA_DIR CREDENTIAL.json ACHIEVEMENT_ID "
		                "[--seconds S] [--cases LIST]\n");
		return 2;
	}
	for (a = 4; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--seconds") == 0)
			seconds = atof(argv[a + 1]);
		else if (strcmp(argv[a], "--cases") == 0)
			list = argv[a + 1];
	}
	for (i = 0; list && i < strlen(list);) {
		size_t n = strcspn(list + i, ","), k;
		for (k = 0; k < NCASES; k++)
			if (strlen(cases[k].name) == n && strncmp(list + i, cases[k].name, n) == 0)
				break;
		if (k == NCASES) {
			fprintf(stderr, "vc_bench: unknown case '%.*s'\n", (int)n, list + i);
			return 2;
		}
		i += n + 1;
	}
	if (sodium_init() < 0)
		return fail("sodium_init", NULL);
	ok_error_clear(&err);
	if (depository_open(&c.d, argv[1], &err))
		return fail("depository_open", &err);
	if (registry_identity(&c.d, &c.id, &err))
		return fail("registry_identity", &err);
	c.achievement = argv[3];
	if (!(c.text = read_file(argv[2], &c.len)))
		return fail(argv[2], NULL);
	if (vc_jcs_parse(c.text, c.len, 0, &vc, &err))
		return fail("parsing the credential", &err);
	c.unsigned_vc = json_deep_copy(vc);
	if (vc_suite_parse(
	            json_string_value(json_object_get(json_object_get(vc, "proof"), "cryptosuite")),
	            &c.suite) != 0)
		c.suite = VC_SUITE_JCS;
	json_object_del(c.unsigned_vc, "proof");
	json_decref(vc);
	crypto_sign_keypair(c.raw_pk, c.raw_sk);
	randombytes_buf(c.msg, sizeof(c.msg));
	crypto_sign_detached(c.sig, NULL, c.msg, sizeof(c.msg), c.raw_sk);

	for (i = 0; i < NCASES; i++) {
		struct bench_run r;
		if (!wanted(list, cases[i].name))
			continue;
		c.checks = cases[i].checks;
		/* A short warm-up (caches, SQLite statements, the allocator). */
		if (bench_loop(0.2, cases[i].fn, &c, &r) ||
		    bench_loop(seconds, cases[i].fn, &c, &r))
			return 1;
		if (cases[i].fn == case_raw_sign && case_raw_verify(&c)) /* the last signature */
			return 1;
		printf("%s\t%llu\t%.4f\t%.4f\t%.1f\t%.1f\n", cases[i].name,
		       (unsigned long long)r.ops, r.wall_s, r.cpu_s, (double)r.ops / r.wall_s,
		       (double)r.ops / r.cpu_s);
		fflush(stdout);
	}
	json_decref(c.unsigned_vc);
	free(c.text);
	registry_identity_release(&c.id);
	depository_close(&c.d);
	return 0;
}
