/* The status list benchmark (issue 5; bench/status runs it, see docs/benchmarks.md).
 *
 *   status_bench DATA_DIR ACHIEVEMENT_ID [--seconds S]
 *
 * DATA_DIR is a throwaway data folder (this program changes it): ACHIEVEMENT_ID must be active
 * and hold a slot in one of its lists (of STATUS_LIST_SIZE = 131,072 entries). Each case runs for
 * about S seconds (default 2) on one thread; one tab-separated line per case:
 *
 *   case  entries  samples  median_ms  p90_ms  body_bytes
 *
 * Cases:
 *   flip          registry_status_change: suspend, then reinstate, alternately (one bit of
 *                 the suspension list flips each time; one transaction, history and audit)
 *   serve         registry_status_list_credential right after each flip: the list is read
 *                 from the store, GZIP-compressed, multibase-encoded, signed, kept
 *   flip+serve    the two together, per flip
 *   serve-cached  registry_status_list_credential with no change since: the kept copy
 *   flip-1M, serve-1M, flip+serve-1M
 *                 the same three for a list of 1,048,576 entries: src only creates lists of
 *                 131,072, so the list is added here through the store (status_list_add) and
 *                 the achievement's slot moved into it (achievement_put); then the same calls
 *   encode+sign/EMPTY|1%  the encode-and-sign path alone, called directly:
 *                 status_encode_list + the list credential + vc_proof_create + JSON text, for
 *                 131,072 and 1,048,576 bits, all clear or 1 % set at random
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "core/buf.h"
#include "registry/achievement.h"
#include "registry/credential.h"
#include "depository/depository.h"
#include "registry/status.h"
#include "vc/proof.h"

#define MAX_SAMPLES 200000
#define BIG_SIZE    1048576
#define BIG_LIST_N  1000 /* far past the lists the data folder uses */

static struct depository d;
static double samples[MAX_SAMPLES], samples2[MAX_SAMPLES], samples3[MAX_SAMPLES];

static int fail(const char *what, const struct ok_error *err)
{
	fprintf(stderr, "status_bench: %s: %s\n", what, err ? err->message : "failed");
	exit(1);
}

static double p90(double *v, size_t n)
{
	bench_median(v, n); /* sorts */
	return n ? v[(size_t)((double)(n - 1) * 0.9)] : 0;
}

static void report(const char *name, long entries, double *v, size_t n, size_t bytes)
{
	double med = bench_median(v, n);

	printf("%s\t%ld\t%zu\t%.3f\t%.3f\t%zu\n", name, entries, n, med * 1e3, p90(v, n) * 1e3,
	       bytes);
	fflush(stdout);
}

static size_t serve(const char *purpose, int64_t n, struct buf *body)
{
	char etag[STORE_ETAG_MAX];
	struct ok_error err;

	ok_error_clear(&err);
	buf_reset(body);
	if (registry_status_list_credential(&d, purpose, n, body, etag, &err))
		fail("registry_status_list_credential", &err);
	return body->len;
}

/* The list credential as src/registry/status.c builds it, signed; returns the text's length. */
static size_t encode_and_sign(const struct depository_identity *id, const unsigned char *bits,
                              size_t nbytes)
{
	struct vc_proof_options opt = {.verification_method = id->vm,
	                               .created = "2026-01-01T00:00:00Z"};
	char url[DEPOSITORY_HOST_MAX + 64], subject[DEPOSITORY_HOST_MAX + 72];
	struct ok_error err;
	struct buf encoded;
	json_t *vc, *signed_vc = NULL;
	char *text;
	size_t len;

	ok_error_clear(&err);
	buf_init(&encoded, 0);
	if (status_encode_list(bits, nbytes, &encoded, &err))
		fail("status_encode_list", &err);
	registry_status_list_url(&d, "revocation", 1, url, sizeof(url));
	snprintf(subject, sizeof(subject), "%s#list", url);
	vc = json_pack("{s:[s], s:s, s:[s, s], s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "@context",
	               CREDENTIAL_CONTEXT_V2, "id", url, "type", "VerifiableCredential",
	               "BitstringStatusListCredential", "issuer", id->did, "validFrom",
	               "2026-01-01T00:00:00Z", "credentialSubject", "id", subject, "type",
	               "BitstringStatusList", "statusPurpose", "revocation", "encodedList",
	               encoded.data);
	if (!vc || vc_proof_create(vc, &opt, id->sk, &signed_vc, &err))
		fail("vc_proof_create", &err);
	text = json_dumps(signed_vc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		fail("json_dumps", NULL);
	len = strlen(text);
	free(text);
	json_decref(vc);
	json_decref(signed_vc);
	buf_release(&encoded);
	return len;
}

/* Flips the achievement's suspension bit (suspend, reinstate, alternately) and serves the
 * re-signed suspension list n after each flip, for about seconds; leaves it active. */
static void flip_and_serve(const char *achievement, double seconds, const char *suffix,
                           long entries, int64_t list_n)
{
	struct store_achievement ach;
	struct ok_error err;
	struct buf body;
	double t0, t1, t2, start;
	size_t n = 0, bytes = 0;
	char name[64];

	buf_init(&body, 0);
	serve("suspension", list_n, &body); /* warm-up */
	start = bench_wall();
	while (n < MAX_SAMPLES && (n % 2 || bench_wall() - start < seconds)) {
		t0 = bench_wall();
		ok_error_clear(&err);
		if (registry_status_change(&d, achievement, NULL,
		                           n % 2 ? STATUS_REINSTATE : STATUS_SUSPEND, "benchmark",
		                           "bench", &ach, &err))
			fail("registry_status_change", &err);
		if (ach.status_list != list_n)
			fail("the achievement is not in the expected list", NULL);
		t1 = bench_wall();
		bytes = serve("suspension", list_n, &body);
		t2 = bench_wall();
		samples[n] = t1 - t0;
		samples2[n] = t2 - t1;
		samples3[n] = t2 - t0;
		n++;
	}
	snprintf(name, sizeof(name), "flip%s", suffix);
	report(name, entries, samples, n, 0);
	snprintf(name, sizeof(name), "serve%s", suffix);
	report(name, entries, samples2, n, bytes);
	snprintf(name, sizeof(name), "flip+serve%s", suffix);
	report(name, entries, samples3, n, bytes);
	buf_release(&body);
}

int main(int argc, char **argv)
{
	const char *achievement;
	double seconds = 2, t0, start;
	struct store_achievement ach;
	struct store_status_list big;
	struct depository_identity id;
	struct ok_error err;
	struct buf body;
	size_t n, bytes = 0;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: status_bench DATA_DIR ACHIEVEMENT_ID [--seconds S]\n");
		return 2;
	}
	achievement = argv[2];
	if (argc >= 5 && strcmp(argv[3], "--seconds") == 0)
		seconds = atof(argv[4]);
	if (sodium_init() < 0)
		fail("sodium_init", NULL);
	ok_error_clear(&err);
	if (depository_open(&d, argv[1], &err))
		fail("depository_open", &err);
	if (registry_identity(&d, &id, &err))
		fail("registry_identity", &err);
	buf_init(&body, 0);

	/* Flip one bit and serve the re-signed list (131,072 entries). */
	ok_error_clear(&err);
	if (registry_status_change(&d, achievement, NULL, STATUS_SUSPEND, "benchmark", "bench",
	                           &ach, &err))
		fail("registry_status_change (suspend)", &err);
	if (registry_status_change(&d, achievement, NULL, STATUS_REINSTATE, "benchmark", "bench",
	                           &ach, &err))
		fail("registry_status_change (reinstate)", &err);
	if (ach.status_list < 1 || ach.status_index < 0)
		fail("the achievement holds no status list slot", NULL);
	if (ach.status_list == BIG_LIST_N)
		fail("the achievement was moved by an earlier run; use a fresh data folder", NULL);
	flip_and_serve(achievement, seconds, "", STATUS_LIST_SIZE, ach.status_list);

	serve("suspension", ach.status_list, &body);
	n = 0;
	start = bench_wall();
	while (n < MAX_SAMPLES && bench_wall() - start < seconds / 2) {
		t0 = bench_wall();
		bytes = serve("suspension", ach.status_list, &body);
		samples[n++] = bench_wall() - t0;
	}
	report("serve-cached", STATUS_LIST_SIZE, samples, n, bytes);

	/* The same for a list of 1,048,576 entries: added through the store, and the achievement's
	 * slot moved into it (store achievement_put), so that its flips change that list. */
	ok_error_clear(&err);
	rc = store_status_list_get(d.store, BIG_LIST_N, &big, &err);
	if (rc == OK_ENOTFOUND) {
		if (store_begin(d.store, &err) ||
		    store_status_list_add(d.store, BIG_LIST_N, BIG_SIZE, &err) ||
		    store_commit(d.store, &err))
			fail("adding a list of 1,048,576 entries", &err);
	} else if (rc) {
		fail("status_list_get", &err);
	}
	if (registry_achievement_get(&d, achievement, NULL, &ach, &err))
		fail("registry_achievement_get", &err);
	if (ach.status_list != BIG_LIST_N) {
		ach.status_list = BIG_LIST_N;
		ach.status_index = BIG_SIZE - 1 - (int64_t)randombytes_uniform(1000);
		ach.version++; /* the history keeps the version it replaces */
		if (store_begin(d.store, &err) ||
		    store_achievement_put(d.store, &ach, true, "bench", "benchmark", &err) ||
		    store_commit(d.store, &err))
			fail("moving the achievement into the large list", &err);
	}
	flip_and_serve(achievement, seconds, "-1M", BIG_SIZE, BIG_LIST_N);

	/* The encode-and-sign path alone. */
	for (int fill = 0; fill < 2; fill++) {
		static const long sizes[] = {STATUS_LIST_SIZE, BIG_SIZE};
		for (size_t s = 0; s < 2; s++) {
			size_t nbytes = (size_t)sizes[s] / 8;
			unsigned char *bits = calloc(nbytes, 1);
			char name[64];

			if (!bits)
				fail("calloc", NULL);
			if (fill) /* 1 % of the bits set, at random */
				for (long k = 0; k < sizes[s] / 100; k++) {
					uint32_t i = randombytes_uniform((uint32_t)sizes[s]);
					bits[i / 8] =
					        (unsigned char)(bits[i / 8] | (0x80u >> (i % 8)));
				}
			encode_and_sign(&id, bits, nbytes);
			n = 0;
			start = bench_wall();
			while (n < MAX_SAMPLES && bench_wall() - start < seconds / 2) {
				t0 = bench_wall();
				bytes = encode_and_sign(&id, bits, nbytes);
				samples[n++] = bench_wall() - t0;
			}
			snprintf(name, sizeof(name), "encode+sign/%s", fill ? "1%" : "empty");
			report(name, sizes[s], samples, n, bytes);
			free(bits);
		}
	}
	buf_release(&body);
	registry_identity_release(&id);
	depository_close(&d);
	return 0;
}
