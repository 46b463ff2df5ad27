/* oorkonde keys status / rotate-data-key / rotate-issuer-key / retire-issuer-key /
 * add-wallet-key / install-wallet-cert: the operator's key management (see registry/rotation.h,
 * registry/sdjwt_keys.h). */
#include "cli/cli.h"
#include "audit/log.h"
#include "registry/rotation.h"
#include "registry/sdjwt_keys.h"

#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char keys_usage[] =
        "Usage: oorkonde [--data DIR] keys status [--json]\n"
        "       oorkonde [--data DIR] keys rotate-data-key [--batch N] [--max-batches N]\n"
        "       oorkonde [--data DIR] keys rotate-issuer-key\n"
        "       oorkonde [--data DIR] keys retire-issuer-key KEY [--force]\n"
        "       oorkonde [--data DIR] keys add-elmo-key | elmo-key\n"
        "       oorkonde [--data DIR] keys install-elmo-cert CERT.pem KEY.pem\n"
        "       oorkonde [--data DIR] keys add-wallet-key\n"
        "       oorkonde [--data DIR] keys install-wallet-cert CHAIN.pem KEY.pem\n\n"
        "status lists the data keys (and how many records each seals), where a data-key\n"
        "rotation stands, and the issuer's signing keys.\n"
        "rotate-data-key makes a new data key and re-seals every personal field under it,\n"
        "a batch per transaction, while the server may run; run it again to resume one that\n"
        "was interrupted. When all is re-sealed the old key is removed from data.key.\n"
        "  --batch N        records per transaction (default 500)\n"
        "  --max-batches N  stop after N batches (resume later by running it again)\n"
        "rotate-issuer-key adds a new signing key; the DID document lists both, so credentials\n"
        "signed with the old one keep verifying until it is retired (did:web only).\n"
        "retire-issuer-key removes an old signing key (KEY: N, key-N or DID#key-N) from the\n"
        "DID document: credentials signed with it no longer verify. It is refused while\n"
        "credentials of achievements that are not revoked were signed with it, unless:\n"
        "  --force          retire it anyway\n"
        "add-elmo-key makes the ELMO signing key (EC P-256) and a self-signed certificate for\n"
        "EMREX, for a folder made before `init` did so; elmo-key shows the certificate.\n"
        "install-elmo-cert installs a CA-issued certificate and its key (PEM) in their place.\n"
        "The key is kept sealed under the data key in elmo.key, the certificate in elmo.crt.\n"
        "add-wallet-key makes the key that signs wallet credentials (SD-JWT VC, ES256) and an\n"
        "X.509 chain for it from a local CA, naming the host (for a folder made before\n"
        "`init` did so; demos and tests).\n"
        "install-wallet-cert installs a CA-issued chain (PEM, the issuer certificate first)\n"
        "and its private key (PEM, not encrypted) in place of the wallet key and chain, after\n"
        "checking that the key matches the first certificate, the chain links and is in date.\n";

/* Test only (builds with -Dtest_hooks=true): OORKONDE_TEST_KILL_AFTER_BATCHES=N makes a rotation
 * kill itself (SIGKILL, no clean-up at all) after N batches, as an operator's kill -9 or a power
 * cut would. */
struct rotation_run {
	long kill_after;
	bool tty;
};

static void on_batch(void *ctx, const struct keys_progress *p)
{
	struct rotation_run *run = ctx;

	if (run->tty)
		fprintf(stderr, "\rre-sealed %lld of %lld records", (long long)p->done,
		        (long long)p->total);
	if (run->kill_after > 0 && (long)p->batches >= run->kill_after)
		raise(SIGKILL);
}

static int parse_count(const char *text, size_t max, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 10);

	if (!text[0] || *end || text[0] == '-' || v < 1 || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int rotate_data(struct cli *c, struct depository *d, size_t batch, size_t max_batches)
{
	struct rotation_run run = {0};
	struct keys_rotate_options o = {batch, max_batches, on_batch, &run};
	struct keys_progress p;
	struct ok_error err;
	int rc;

#ifdef OK_TEST_HOOKS
	const char *env = getenv("OORKONDE_TEST_KILL_AFTER_BATCHES");

	run.kill_after = env ? atol(env) : 0;
#endif
	run.tty = isatty(STDERR_FILENO) == 1;
	ok_error_clear(&err);
	rc = registry_keys_rotate_data(d, &o, &p, &err);
	if (run.tty && p.batches)
		fputc('\n', stderr);
	if (rc) {
		cli_print_error(c, &err);
		if (p.batches || p.resumed)
			fprintf(stderr,
			        "%s: the batches done so far are kept; run it again to "
			        "resume\n",
			        c->prog);
		return EXIT_FAILED;
	}
	if (p.finished)
		printf("Data key %lu is current: %lld of %lld records re-sealed%s; the older keys "
		       "were removed from data.key\n",
		       (unsigned long)p.to_key, (long long)p.done, (long long)p.total,
		       p.resumed ? " (resumed)" : "");
	else
		printf("Rotation to data key %lu: %lld of %lld records re-sealed; run `oorkonde "
		       "keys rotate-data-key` again to go on\n",
		       (unsigned long)p.to_key, (long long)p.done, (long long)p.total);
	return EXIT_OK;
}

static int rotate_issuer(struct cli *c, struct depository *d)
{
	struct ok_error err;
	uint32_t id;
	char vm[256];

	ok_error_clear(&err);
	if (registry_keys_rotate_issuer_vm(d, &id, vm, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("Issuer key %lu signs from now on: %s\n"
	       "The DID document lists the older keys too, until `oorkonde keys "
	       "retire-issuer-key`.\n",
	       (unsigned long)id, vm);
	return EXIT_OK;
}

static int retire_issuer(struct cli *c, struct depository *d, const char *key, bool force)
{
	struct ok_error err;
	uint32_t id;
	int64_t active = 0;

	ok_error_clear(&err);
	if (registry_keys_parse_id(key, &id, &err) != 0 ||
	    registry_keys_retire_issuer(d, id, force, &active, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (active)
		fprintf(stderr,
		        "%s: warning: %lld credential%s signed with issuer key %lu no longer "
		        "verif%s\n",
		        c->prog, (long long)active, active == 1 ? "" : "s", (unsigned long)id,
		        active == 1 ? "ies" : "y");
	printf("Issuer key %lu is retired: it is no longer in the DID document\n",
	       (unsigned long)id);
	return EXIT_OK;
}

/* Status */

static json_t *time_or_null(int64_t ms)
{
	char when[32];

	if (!ms)
		return json_null();
	audit_format_time(ms, when);
	return json_string(when);
}

static void print_data_key(const struct keys_data_count *k)
{
	printf("  data key %-4lu %10lld learners %8lld foreign credentials  %s\n",
	       (unsigned long)k->key_id, (long long)k->learners, (long long)k->foreign,
	       k->current   ? "current"
	       : k->in_file ? "in data.key"
	                    : "NOT in data.key: these records cannot be opened");
}

static void print_issuer_key(const struct keys_issuer_entry *e)
{
	char added[32] = "-", retired[32] = "";

	if (e->key.added_ms)
		audit_format_time(e->key.added_ms, added);
	if (e->key.retired_ms)
		audit_format_time(e->key.retired_ms, retired);
	printf("  %-60s added %-20s %s%s\n", e->vm, added,
	       e->current          ? "current (signs)"
	       : e->key.retired_ms ? "retired "
	                           : "in the DID document",
	       retired);
}

/* The JSON form of keys status (new reference), NULL when memory ran out. */
static json_t *status_json(const struct keys_status *s)
{
	json_t *data = json_array(), *issuer = json_array(), *doc;
	bool whole = data && issuer;
	size_t i;

	for (i = 0; whole && i < s->data_count; i++) {
		const struct keys_data_count *k = &s->data[i];
		whole = !json_array_append_new(data, json_pack("{s:I, s:b, s:b, s:I, s:I}", "id",
		                                               (json_int_t)k->key_id, "current",
		                                               k->current, "in_file", k->in_file,
		                                               "learners", (json_int_t)k->learners,
		                                               "foreign", (json_int_t)k->foreign));
	}
	for (i = 0; whole && i < s->issuer_count; i++) {
		const struct keys_issuer_entry *e = &s->issuer[i];
		whole = !json_array_append_new(
		        issuer, json_pack("{s:I, s:s, s:s, s:b, s:o, s:o, s:o}", "id",
		                          (json_int_t)e->key.key_id, "verification_method", e->vm,
		                          "public_key", e->multikey, "current", e->current, "added",
		                          time_or_null(e->key.added_ms), "superseded",
		                          time_or_null(e->key.superseded_ms), "retired",
		                          time_or_null(e->key.retired_ms)));
	}
	if (!whole) {
		json_decref(data);
		json_decref(issuer);
		return NULL;
	}
	doc = json_pack("{s:o, s:o, s:s}", "data_keys", data, "issuer_keys", issuer, "did", s->did);
	if (doc && s->rotated &&
	    json_object_set_new(
	            doc, "rotation",
	            json_pack("{s:I, s:I, s:I, s:b}", "to_key", (json_int_t)s->rotation.to_key,
	                      "done", (json_int_t)s->rotation.done, "total",
	                      (json_int_t)s->rotation.total, "finished", s->rotation.finished)) !=
	            0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int status(struct cli *c, struct depository *d, bool json)
{
	const struct keys_progress *p;
	struct keys_status s;
	struct ok_error err;
	json_t *doc;
	size_t i;
	int rc;

	ok_error_clear(&err);
	if (!json)
		printf("Data keys (data.key seals the learners' personal fields):\n");
	if ((rc = registry_keys_status(d, &s, &err))) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (json) {
		doc = status_json(&s);
		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) != 0)
			rc = ok_fail(&err, OK_ENOMEM, "out of memory");
		else
			putchar('\n');
		json_decref(doc);
	} else {
		p = &s.rotation;
		for (i = 0; i < s.data_count; i++)
			print_data_key(&s.data[i]);
		if (s.rotated && !p->finished)
			printf("Rotation to data key %lu: %lld of %lld records re-sealed "
			       "(interrupted "
			       "or running: `oorkonde keys rotate-data-key` finishes it)\n",
			       (unsigned long)p->to_key, (long long)p->done, (long long)p->total);
		else if (s.rotated)
			printf("Last rotation: to data key %lu, %lld records re-sealed\n",
			       (unsigned long)p->to_key, (long long)p->total);
		printf("Issuer keys (%s):\n", s.did);
		for (i = 0; i < s.issuer_count; i++)
			print_issuer_key(&s.issuer[i]);
	}
	keys_status_release(&s);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int print_wallet_key(struct cli *c, struct depository *d, const char *what)
{
	char tp[JOSE_THUMBPRINT_MAX];
	struct ok_error err;

	ok_error_clear(&err);
	if (registry_wallet_thumbprint(d, tp, &err)) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("%s: %s/wallet.key (JWK thumbprint %s), chain %s/wallet-chain.pem\n", what,
	       c->data_dir, tp, c->data_dir);
	return EXIT_OK;
}

static int add_wallet_key(struct cli *c, struct depository *d)
{
	struct ok_error err;

	ok_error_clear(&err);
	if (registry_wallet_key_add(d, &err)) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	return print_wallet_key(c, d, "Wallet key made with a local CA's chain");
}

static int install_wallet_cert(struct cli *c, struct depository *d, const char *chain_path,
                               const char *key_path)
{
	struct buf chain, key;
	struct ok_error err;
	bool cut = false, cut2 = false;
	int rc;

	buf_init(&chain, (size_t)64 << 10);
	buf_init(&key, (size_t)64 << 10);
	if ((rc = cli_read_input(c, chain_path, &chain, &cut)) ||
	    (rc = cli_read_input(c, key_path, &key, &cut2)))
		goto out;
	if (cut || cut2) {
		rc = cli_usage_error(c, "%s is too long for a PEM file (64 KiB at most)",
		                     cut ? chain_path : key_path);
		goto out;
	}
	ok_error_clear(&err);
	if (registry_wallet_cert_install(d, chain.data, chain.len, key.data, key.len, &err)) {
		cli_print_error(c, &err);
		rc = EXIT_FAILED;
		goto out;
	}
	rc = print_wallet_key(c, d, "Wallet certificate installed");
out:
	sodium_memzero(key.data, key.len);
	buf_release(&chain);
	buf_release(&key);
	return rc;
}

int cmd_keys(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"batch", required_argument, NULL, 'b'},
	        {"max-batches", required_argument, NULL, 'm'},
	        {"force", no_argument, NULL, 'f'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *sub = argc > 1 ? argv[1] : "";
	size_t batch = 0, max_batches = 0;
	bool force = false, json = false;
	struct depository d;
	int opt, rc;

	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(keys_usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "add-elmo-key") || !strcmp(sub, "install-elmo-cert") ||
	    !strcmp(sub, "elmo-key"))
		return cmd_elmo_keys(c, sub, argc, argv);
	if (strcmp(sub, "status") && strcmp(sub, "rotate-data-key") &&
	    strcmp(sub, "rotate-issuer-key") && strcmp(sub, "retire-issuer-key") &&
	    strcmp(sub, "add-wallet-key") && strcmp(sub, "install-wallet-cert"))
		return cli_usage_error(c, "expected a subcommand: status, rotate-data-key, "
		                          "rotate-issuer-key, retire-issuer-key, add-wallet-key or "
		                          "install-wallet-cert");
	argc--;
	argv++;
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'b':
			if (strcmp(sub, "rotate-data-key") ||
			    parse_count(optarg, KEYS_MAX_BATCH, &batch) != 0)
				return cli_usage_error(c,
				                       "--batch takes 1-%d (rotate-data-key only)",
				                       KEYS_MAX_BATCH);
			break;
		case 'm':
			if (strcmp(sub, "rotate-data-key") ||
			    parse_count(optarg, 1000000000, &max_batches) != 0)
				return cli_usage_error(c, "--max-batches takes a number of batches "
				                          "(rotate-data-key only)");
			break;
		case 'f':
			if (strcmp(sub, "retire-issuer-key"))
				return cli_usage_error(c, "--force is for retire-issuer-key");
			force = true;
			break;
		case 'j':
			if (strcmp(sub, "status"))
				return cli_usage_error(c, "--json is for keys status");
			json = true;
			break;
		case 'h':
			fputs(keys_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (!strcmp(sub, "install-wallet-cert")) {
		if (optind != argc - 2)
			return cli_usage_error(c,
			                       "install-wallet-cert takes CHAIN.pem and KEY.pem");
		if ((rc = cli_open(c, &d)))
			return rc;
		rc = install_wallet_cert(c, &d, argv[optind], argv[optind + 1]);
		depository_close(&d);
		return rc;
	}
	if (!strcmp(sub, "retire-issuer-key") ? optind != argc - 1 : optind != argc)
		return cli_usage_error(c, !strcmp(sub, "retire-issuer-key")
		                                  ? "retire-issuer-key takes one KEY (N or key-N)"
		                                  : "unexpected argument");
	if ((rc = cli_open(c, &d)))
		return rc;
	if (!strcmp(sub, "status"))
		rc = status(c, &d, json);
	else if (!strcmp(sub, "rotate-data-key"))
		rc = rotate_data(c, &d, batch, max_batches);
	else if (!strcmp(sub, "rotate-issuer-key"))
		rc = rotate_issuer(c, &d);
	else if (!strcmp(sub, "add-wallet-key"))
		rc = add_wallet_key(c, &d);
	else
		rc = retire_issuer(c, &d, argv[optind], force);
	depository_close(&d);
	return rc;
}
