/* The foreign-credential benchmark (issue 7; bench/foreign runs it, see docs/benchmarks.md).
 *
 *   foreign_bench DATA_DIR OWN.json FOREIGN.json [--seconds S] [--slice MS]
 *
 * DATA_DIR is the verifying depository; OWN.json one of its own credentials, FOREIGN.json a
 * credential of another depository (did:web, on its trust list) whose server is up. The caches
 * a server keeps (DID documents, other issuers' status lists) are made here and warmed by one
 * verification of the foreign credential, timed apart ("cold"). Then both credentials are
 * verified with all four checks, interleaved in slices of MS milliseconds (default 100: own,
 * foreign, own, …) for S seconds in all (default 6), on one thread, so that both see the same
 * background load. Prints one tab-separated line per case:
 *
 *   case  ops  wall_s  cpu_s  per_wall_s  per_cpu_s
 *
 * cases: own, foreign (warm caches), and cold (one verification, fetching the DID document and
 * the two status lists; ops 1). Every verification must say verified: otherwise exit 1.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "core/buf.h"
#include "remote/http_client.h"
#include "depository/depository.h"
#include "remote/did_resolver.h"
#include "remote/status_cache.h"
#include "registry/verify.h"

struct input {
	char *text;
	size_t len;
};

struct ctx {
	struct depository d;
	struct remote_did_cache dids;
	struct remote_status_cache lists;
	const struct input *credential;
};

static int fail(const char *what, const struct ok_error *err)
{
	fprintf(stderr, "foreign_bench: %s: %s\n", what, err ? err->message : "failed");
	return 1;
}

static int verify_one(void *p)
{
	struct ctx *c = p;
	struct verify_options o = {
	        .checks = VERIFY_ALL, .did_cache = &c->dids, .status_cache = &c->lists};
	struct verify_result r;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = registry_verify(&c->d, c->credential->text, c->credential->len, &o, &r, &err);
	if (rc)
		return fail("registry_verify", &err);
	if (!r.verified) {
		for (size_t i = 0; i < r.count; i++)
			if (!r.items[i].passed)
				fprintf(stderr, "foreign_bench: %s: %s\n",
				        verify_check_name(r.items[i].check), r.items[i].message);
		verify_result_release(&r);
		return fail("registry_verify", NULL);
	}
	verify_result_release(&r);
	return 0;
}

static int read_input(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");
	long n;

	in->text = NULL;
	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (in->text = malloc((size_t)n + 1)) && fread(in->text, 1, (size_t)n, f) == (size_t)n) {
		in->text[n] = '\0';
		in->len = (size_t)n;
	} else {
		free(in->text);
		in->text = NULL;
	}
	fclose(f);
	return in->text ? 0 : -1;
}

static void print(const char *name, const struct bench_run *r)
{
	printf("%s\t%llu\t%.4f\t%.4f\t%.1f\t%.1f\n", name, (unsigned long long)r->ops, r->wall_s,
	       r->cpu_s, (double)r->ops / r->wall_s, (double)r->ops / r->cpu_s);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct ctx c;
	struct input own, foreign;
	struct bench_run total[2] = {{0, 0, 0}, {0, 0, 0}}, r;
	double seconds = 6, slice_ms = 100, w0, c0, started;
	struct ok_error err;
	int a, k;

	if (argc < 4) {
		fprintf(stderr, "usage: foreign_bench DATA_DIR OWN.json FOREIGN.json [--seconds S] "
		                "[--slice MS]\n");
		return 2;
	}
	for (a = 4; a + 1 < argc; a += 2) {
		if (strcmp(argv[a], "--seconds") == 0)
			seconds = atof(argv[a + 1]);
		else if (strcmp(argv[a], "--slice") == 0)
			slice_ms = atof(argv[a + 1]);
	}
	if (sodium_init() < 0 || remote_http_global_init(NULL) != 0)
		return fail("initialising libsodium and libcurl", NULL);
	if (read_input(argv[2], &own) || read_input(argv[3], &foreign))
		return fail("reading the credentials", NULL);
	ok_error_clear(&err);
	if (depository_open(&c.d, argv[1], &err))
		return fail("depository_open", &err);
	remote_did_cache_init(&c.dids, c.d.did_cache_ttl_s, NULL);
	remote_status_cache_init(&c.lists, c.d.status_cache_ttl_s, NULL);

	/* Cold: the DID document and both status lists are fetched. */
	c.credential = &foreign;
	w0 = bench_wall();
	c0 = bench_cpu();
	if (verify_one(&c))
		return 1;
	r = (struct bench_run){1, bench_wall() - w0, bench_cpu() - c0};
	print("cold", &r);
	/* Warm-up of both paths (SQLite statements, the allocator). */
	c.credential = &own;
	if (bench_loop(0.2, verify_one, &c, &r))
		return 1;
	c.credential = &foreign;
	if (bench_loop(0.2, verify_one, &c, &r))
		return 1;

	started = bench_wall();
	for (k = 0; bench_wall() - started < seconds; k ^= 1) {
		c.credential = k ? &foreign : &own;
		if (bench_loop(slice_ms / 1000, verify_one, &c, &r))
			return 1;
		total[k].ops += r.ops;
		total[k].wall_s += r.wall_s;
		total[k].cpu_s += r.cpu_s;
	}
	print("own", &total[0]);
	print("foreign", &total[1]);

	remote_status_cache_release(&c.lists);
	remote_did_cache_release(&c.dids);
	depository_close(&c.d);
	free(own.text);
	free(foreign.text);
	remote_http_global_cleanup();
	return 0;
}
