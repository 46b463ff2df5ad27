/* Status lists: slots, status changes, signed list credentials (see status.h). */
#include "registry/status.h"
#include "core/format.h"
#include "audit/txn.h"

#include "registry/achievement.h"
#include "io/utf8.h"
#include "registry/credential.h"
#include "vc/multibase.h"
#include "vc/proof.h"
#include "core/clock.h"
#include "store/vcstatus.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static int draw(struct depository *d, struct status_allocator *a, struct store_achievement *ach,
                struct ok_error *err);

int status_alloc_begin(struct depository *d, struct status_allocator *a, struct ok_error *err)
{
	int rc = store_status_list_current(d->store, &a->current, err);

	a->given = 0;
	a->random_used = sizeof(a->random) / sizeof(a->random[0]);
	a->vc_list = 0; /* counted again: credentials may have been issued since */
	if (rc == OK_ENOTFOUND) {
		rc = store_status_list_add(d->store, 1, STATUS_LIST_SIZE, err);
		if (!rc)
			rc = store_status_list_get(d->store, 1, &a->current, err);
	}
	return rc;
}

int status_alloc_end(struct depository *d, struct status_allocator *a, struct ok_error *err)
{
	int rc = 0;

	if (a->given)
		rc = store_status_list_bump(d->store, a->current.n, a->given, 0, 0, err);
	a->current.used += a->given;
	a->given = 0;
	return rc;
}

int status_alloc_take(struct depository *d, struct status_allocator *a,
                      struct store_achievement *ach, struct ok_error *err)
{
	struct store_vc_status held;
	int tries, rc;

	for (tries = 0; tries < 64; tries++) {
		if ((rc = draw(d, a, ach, err)))
			return rc;
		if (a->vc_list != a->current.n) {
			if ((rc = store_vc_status_count_in_list(d->store, a->current.n,
			                                        &a->vc_count, err)))
				return rc;
			a->vc_list = a->current.n;
		}
		if (a->vc_count == 0)
			return 0;
		rc = store_vc_status_by_slot(d->store, ach->status_list, ach->status_index, &held,
		                             err);
		if (rc == OK_ENOTFOUND)
			return 0;
		if (rc)
			return rc;
		status_alloc_untake(a);
	}
	return ok_fail(err, OK_EINTERNAL, "no free status list slot found");
}

/* One slot drawn at random in the newest list (opening the next when it is full enough). */
static int draw(struct depository *d, struct status_allocator *a, struct store_achievement *ach,
                struct ok_error *err)
{
	int64_t n = a->current.n;
	int rc;

	/* Three quarters full: open the next list, so that a free slot is quickly found. */
	if ((a->current.used + a->given) * 4 >= a->current.size * 3) {
		if ((rc = status_alloc_end(d, a, err)) ||
		    (rc = store_status_list_add(d->store, n + 1, STATUS_LIST_SIZE, err)) ||
		    (rc = store_status_list_get(d->store, n + 1, &a->current, err)))
			return rc;
	}
	if (a->random_used == sizeof(a->random) / sizeof(a->random[0])) {
		randombytes_buf(a->random, sizeof(a->random));
		a->random_used = 0;
	}
	/* List sizes are powers of two, so the remainder is uniform. */
	ach->status_list = a->current.n;
	ach->status_index = (int64_t)(a->random[a->random_used++] % (uint32_t)a->current.size);
	a->given++;
	return 0;
}

void status_alloc_untake(struct status_allocator *a)
{
	if (a->given > 0)
		a->given--;
}

int status_action_parse(const char *s, enum status_action *out)
{
	if (strcmp(s, "revoke") == 0)
		*out = STATUS_REVOKE;
	else if (strcmp(s, "suspend") == 0)
		*out = STATUS_SUSPEND;
	else if (strcmp(s, "reinstate") == 0)
		*out = STATUS_REINSTATE;
	else
		return OK_EINPUT;
	return 0;
}

/* A reason is 1-200 characters (not bytes) of UTF-8 text without control characters or
 * characters that reorder or hide text (utf8_is_hidden): it goes to the history and the audit
 * log, and is shown back to people. */
int status_check_reason(const char *reason, struct ok_error *err)
{
	size_t n = reason ? strlen(reason) : 0, i, len, chars = 0;
	uint32_t c;

	if (n == 0 || n > 800 || !utf8_valid(reason, n))
		return ok_fail_field(err, OK_EINPUT, "reason",
		                     "a reason of 1-200 characters (UTF-8) is required");
	for (i = 0; i < n; i += len) {
		c = utf8_decode(reason + i, &len);
		chars++;
		/* C0 controls, DEL, and C1 controls. */
		if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
			return ok_fail_field(err, OK_EINPUT, "reason",
			                     "the reason contains a control character (e.g. a line "
			                     "break)");
		if (utf8_is_hidden(c))
			return ok_fail_field(err, OK_EINPUT, "reason",
			                     "the reason contains a bidirectional-control or "
			                     "invisible character (U+%04X)",
			                     (unsigned)c);
	}
	if (chars > 200)
		return ok_fail_field(err, OK_EINPUT, "reason",
		                     "a reason of 1-200 characters (UTF-8) is required");
	return 0;
}

int registry_status_change(struct depository *d, const char *achievement_id,
                           const char *institution, enum status_action action, const char *reason,
                           const char *actor, struct store_achievement *out, struct ok_error *err)
{
	static const char *const actions[] = {"achievement.revoke", "achievement.suspend",
	                                      "achievement.reinstate"};
	const char *next;
	int64_t revocation_delta, suspension_delta;
	struct audit_txn txn;
	char detail[96];
	int rc;

	if ((rc = status_check_reason(reason, err)))
		return rc;
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = registry_achievement_get(d, achievement_id, institution, out, err);
	if (rc)
		goto end;
	if (strcmp(out->status, "revoked") == 0) {
		rc = ok_fail(err, OK_ECONFLICT,
		             "the achievement is revoked, and a revocation is final");
		goto end;
	}
	if (action == STATUS_REINSTATE && strcmp(out->status, "suspended") != 0) {
		rc = ok_fail(err, OK_ECONFLICT,
		             "only a suspended achievement can be reinstated (it "
		             "is %s)",
		             out->status);
		goto end;
	}
	if (action == STATUS_SUSPEND && strcmp(out->status, "suspended") == 0) {
		rc = ok_fail(err, OK_ECONFLICT, "the achievement is already suspended");
		goto end;
	}
	next = action == STATUS_REVOKE    ? "revoked"
	       : action == STATUS_SUSPEND ? "suspended"
	                                  : "active";
	/* Which lists change: the revocation bit on revoking; the suspension bit on suspending,
	 * reinstating, and on revoking a suspended achievement (its suspension ends). */
	revocation_delta = action == STATUS_REVOKE;
	suspension_delta = action != STATUS_REVOKE || strcmp(out->status, "suspended") == 0;
	if (ok_format(detail, sizeof(detail), "%s -> %s", out->status, next) ||
	    ok_format(out->status, sizeof(out->status), "%s", next)) {
		rc = ok_fail(err, OK_EINTERNAL, "status too long");
		goto end;
	}
	out->version++;
	out->updated_ms = ok_now_ms();
	rc = store_achievement_put(d->store, out, true, actor, reason, err);
	/* A bit of the list changes (in the revocation or the suspension list, or both). */
	if (!rc && out->status_index >= 0)
		rc = store_status_list_bump(d->store, out->status_list, 0, revocation_delta,
		                            suspension_delta, err);
	if (!rc)
		rc = audit_txn_event(&txn, actor, actions[action], out->id, "status", detail, err);
end:
	return audit_txn_end(&txn, rc, err);
}

int registry_status_change_by_record(struct depository *d, const char *institution,
                                     const char *record_id, enum status_action action,
                                     const char *reason, const char *actor,
                                     struct store_achievement *out, struct ok_error *err)
{
	char id[STORE_ID_MAX + 1];
	int rc = registry_achievement_by_record(d, institution, record_id, out, err);

	if (rc)
		return rc;
	/* Copied: the change writes the new version into out. */
	OK_COPY_ARRAY(id, out->id);
	return registry_status_change(d, id, institution, action, reason, actor, out, err);
}

int registry_status_list_url(const struct depository *d, const char *purpose, int64_t n, char *out,
                             size_t cap)
{
	return ok_format(out, cap, "%s/status/%s/%lld", d->base_url, purpose, (long long)n);
}

int status_encode_list(const unsigned char *bits, size_t nbytes, struct buf *out,
                       struct ok_error *err)
{
	z_stream z;
	unsigned char *gz;
	uLong cap = compressBound((uLong)nbytes) + 64;
	int rc;

	gz = malloc(cap);
	if (!gz)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a GZIP wrapper, as the specification asks. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		free(gz);
		return ok_fail(err, OK_EINTERNAL, "cannot start GZIP compression");
	}
	z.next_in = (Bytef *)(uintptr_t)bits;
	z.avail_in = (uInt)nbytes;
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(gz);
		return ok_fail(err, OK_EINTERNAL, "GZIP compression failed");
	}
	rc = vc_multibase_encode(VC_MULTIBASE_BASE64URL, gz, z.total_out, out, err);
	free(gz);
	return rc;
}

int status_decode_list(const char *encoded, size_t len, unsigned char *bits, size_t cap,
                       size_t *nbytes, struct ok_error *err)
{
	enum vc_multibase base;
	unsigned char *gz;
	size_t gz_len;
	z_stream z;
	int rc;

	gz = malloc(len + 1);
	if (!gz)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = vc_multibase_decode(encoded, len, gz, len + 1, &gz_len, &base, err);
	if (!rc && base != VC_MULTIBASE_BASE64URL)
		rc = ok_fail(err, OK_EINPUT, "encodedList must be multibase base64url (u…)");
	if (rc) {
		free(gz);
		return rc;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		free(gz);
		return ok_fail(err, OK_EINTERNAL, "cannot start GZIP decompression");
	}
	z.next_in = gz;
	z.avail_in = (uInt)gz_len;
	z.next_out = bits;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	*nbytes = z.total_out;
	inflateEnd(&z);
	free(gz);
	if (rc == Z_BUF_ERROR && z.avail_out == 0)
		return ok_fail(err, OK_ETOOBIG, "the status list is larger than %zu bytes", cap);
	if (rc != Z_STREAM_END)
		return ok_fail(err, OK_EINPUT, "encodedList is not GZIP data");
	return 0;
}

static int set_bit(void *ctx, int64_t index)
{
	unsigned char *bits = ctx;

	/* Index 0 is the left-most (most significant) bit of the first byte. */
	bits[index / 8] = (unsigned char)(bits[index / 8] | (0x80u >> (index % 8)));
	return 0;
}

/* Whether the signed list in body names vm as its verification method. */
static bool signed_by(const struct buf *body, const char *vm)
{
	char needle[300];
	int n = snprintf(needle, sizeof(needle), "\"verificationMethod\":\"%s\"", vm);

	return n > 0 && (size_t)n < sizeof(needle) && body->len &&
	       memmem(body->data, body->len, needle, (size_t)n) != NULL;
}

/* Builds and signs list n for purpose; body gets the JSON text. */
static int sign_list(struct depository *d, const char *purpose, int64_t n, int64_t size,
                     struct buf *body, struct ok_error *err)
{
	struct depository_identity id;
	struct vc_proof_options opt = {0};
	unsigned char *bits = calloc((size_t)size / 8, 1);
	char url[DEPOSITORY_HOST_MAX + 64], subject[DEPOSITORY_HOST_MAX + 72], now[32];
	struct buf encoded;
	json_t *vc = NULL, *signed_vc = NULL;
	char *text = NULL;
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	buf_init(&encoded, 0);
	if (!bits)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if ((rc = depository_keys_refresh(d, err)) || (rc = registry_identity(d, &id, err)))
		goto out;
	rc = store_status_list_bits(d->store, n,
	                            strcmp(purpose, "revocation") == 0 ? "revoked" : "suspended",
	                            set_bit, bits, err);
	if (!rc)
		rc = status_encode_list(bits, (size_t)size / 8, &encoded, err);
	if (rc)
		goto out;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (registry_status_list_url(d, purpose, n, url, sizeof(url)) ||
	    ok_format(subject, sizeof(subject), "%s#list", url)) {
		rc = ok_fail(err, OK_EINTERNAL, "the status list's URL does not fit");
		goto out;
	}
	vc = json_pack("{s:[s], s:s, s:[s, s], s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "@context",
	               CREDENTIAL_CONTEXT_V2, "id", url, "type", "VerifiableCredential",
	               "BitstringStatusListCredential", "issuer", id.did, "validFrom", now,
	               "credentialSubject", "id", subject, "type", "BitstringStatusList",
	               "statusPurpose", purpose, "encodedList", encoded.data);
	if (!vc) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	opt.verification_method = id.vm;
	opt.created = now;
	if ((rc = vc_proof_create(vc, &opt, id.sk, &signed_vc, err)))
		goto out;
	text = json_dumps(signed_vc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text || buf_addstr(body, text) != 0)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
out:
	free(text);
	json_decref(vc);
	json_decref(signed_vc);
	buf_release(&encoded);
	free(bits);
	registry_identity_release(&id);
	return rc;
}

int registry_status_list_credential(struct depository *d, const char *purpose, int64_t n,
                                    struct buf *body, char etag[STORE_ETAG_MAX],
                                    struct ok_error *err)
{
	struct store_status_list list;
	char subject[48], detail[64];
	int64_t cached_version = -1, version;
	int rc;

	if (strcmp(purpose, "revocation") != 0 && strcmp(purpose, "suspension") != 0)
		return ok_fail(err, OK_ENOTFOUND, "no such status list");
	rc = store_status_list_get(d->store, n, &list, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such status list");
	if (rc)
		return rc;
	buf_reset(body);
	rc = store_status_cache_get(d->store, purpose, n, &cached_version, etag, body, err);
	if (rc && rc != OK_ENOTFOUND)
		return rc;
	version = strcmp(purpose, "revocation") == 0 ? list.revocation_version
	                                             : list.suspension_version;
	/* A list signed with an issuer key that is no longer the current one (a rotation) is
	 * signed again, so that it stays valid when the old key is retired. */
	if (!rc && cached_version == version) {
		int krc = depository_keys_refresh(d, err);
		if (krc)
			return krc;
		if (signed_by(body, d->issuer_vm))
			return 0;
	}
	/* No signed list yet, or a bit changed since: sign it again and keep it. Never one read
	 * from a store whose records moved (a server not restarted after store migrate): the
	 * issuer key would vouch for stale bits with a fresh date. */
	buf_reset(body);
	if ((rc = store_moved(d->store, err)))
		return rc;
	if ((rc = sign_list(d, purpose, n, list.size, body, err)))
		return rc;
	if (ok_format(subject, sizeof(subject), "status/%s/%lld", purpose, (long long)n) ||
	    ok_format(detail, sizeof(detail), "key=%lu version=%lld",
	              (unsigned long)d->issuer_key_id, (long long)version))
		return ok_fail(err, OK_EINTERNAL, "a status list's name does not fit");
	return registry_status_keep(d, purpose, n, version, subject, detail, body, etag, err);
}

int registry_status_keep(struct depository *d, const char *purpose, int64_t n, int64_t version,
                         const char *subject, const char *detail, const struct buf *body,
                         char etag[STORE_ETAG_MAX], struct ok_error *err)
{
	struct audit_txn txn;
	unsigned char h[16];
	char hex[33];
	int rc;

	crypto_generichash(h, sizeof(h), (const unsigned char *)body->data, body->len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if (ok_format(etag, STORE_ETAG_MAX, "\"%s\"", hex))
		return ok_fail(err, OK_EINTERNAL, "STORE_ETAG_MAX is too small for an ETag");
	/* Keeping it is an optimisation: a failure (read-only store) does not fail the answer. A
	 * use of a signing key: on record with the list it signed. */
	if (audit_txn_begin(d, &txn, NULL) == 0) {
		rc = store_status_cache_put(d->store, purpose, n, version, etag, body, NULL);
		if (!rc)
			rc = audit_txn_event(&txn, AUDIT_SYSTEM_STATUS, "status.sign", subject,
			                     "status", detail, NULL);
		audit_txn_end(&txn, rc, NULL);
	}
	return 0;
}

bool status_list_number(const char *segment, long long *n)
{
	long long v = 0;
	size_t i;

	/* Up to 15 digits: far past any list count, and no overflow. */
	if (segment[0] < '1' || segment[0] > '9' || strlen(segment) > 15)
		return false;
	for (i = 0; segment[i]; i++) {
		if (segment[i] < '0' || segment[i] > '9')
			return false;
		v = v * 10 + (segment[i] - '0');
	}
	*n = v;
	return true;
}

int registry_status_local(struct depository *d, const char *url, int64_t index,
                          const struct store_credential_status *known, bool *set,
                          struct ok_error *err)
{
	char status[STORE_STATUS_MAX];
	size_t base = strlen(d->base_url);
	const char *rest, *purpose;
	long long n;
	int rc;

	if (strncmp(url, d->base_url, base) != 0 || strncmp(url + base, "/status/", 8) != 0)
		return OK_ENOTFOUND;
	rest = url + base + 8;
	if (strncmp(rest, "revocation/", 11) == 0) {
		purpose = "revoked";
		rest += 11;
	} else if (strncmp(rest, "suspension/", 11) == 0) {
		purpose = "suspended";
		rest += 11;
	} else {
		return OK_ENOTFOUND;
	}
	if (!status_list_number(rest, &n))
		return OK_ENOTFOUND;
	/* The slot of the record the caller read already (its own credential's, the usual
	 * case): a slot belongs to one record, so its status is that record's. */
	if (known && known->status_index >= 0 && known->status_list == n &&
	    known->status_index == index) {
		*set = strcmp(known->status, purpose) == 0;
		return 0;
	}
	/* An achievement's, else a VC-API credential's, in one statement; nobody's: bit clear.
	 * While nothing was committed since the store read its set of revoked and suspended
	 * slots, from that set ("" for neither). */
	if (store_slot_status_mem(d->store, n, index, status))
		rc = status[0] ? 0 : OK_ENOTFOUND;
	else
		rc = store_slot_status(d->store, n, index, status, err);
	if (rc == OK_ENOTFOUND) {
		*set = false;
		return 0;
	}
	if (rc)
		return rc;
	*set = strcmp(status, purpose) == 0;
	return 0;
}
