/* Registering institutions and issuing API keys (see institution.h). */
#include "registry/institution.h"
#include "core/format.h"
#include "audit/txn.h"

#include "io/utf8.h"
#include "registry/leak.h"
#include "core/clock.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ISO 3166-1 alpha-2 country codes. */
static const char iso3166[] =
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO "
        "BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ "
        "DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP "
        "GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG "
        "KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML "
        "MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE "
        "PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL "
        "SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM "
        "US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

bool registry_country_valid(const char *cc)
{
	return strlen(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' &&
	       strstr(iso3166, cc) != NULL;
}

static bool is_code(const char *s, size_t min, size_t max)
{
	size_t i, n = strlen(s);

	if (n < min || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || s[i] == '.' || s[i] == ' '))
			return false;
	return true;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F ||
		    ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] >= 0x80 &&
		     (unsigned char)s[1] <= 0x9F))
			return true;
	return false;
}

static int validate(const struct institution_input *in, struct ok_error *err)
{
	size_t n;

	if (!in->code || !is_code(in->code, 2, 32) || strchr(in->code, ' ') ||
	    strchr(in->code, '.'))
		return ok_fail_field(err, OK_EINPUT, "code",
		                     "code must be 2-32 letters, digits or '-' (e.g. 21PB)");
	n = in->name ? strlen(in->name) : 0;
	if (n == 0 || n > 200 || !utf8_valid(in->name, n) || has_control(in->name))
		return ok_fail_field(err, OK_EINPUT, "name",
		                     "name must be 1-200 characters of UTF-8 text, without "
		                     "control characters");
	if (!in->country || !registry_country_valid(in->country))
		return ok_fail_field(err, OK_EINPUT, "country",
		                     "country must be an ISO 3166-1 alpha-2 code in capitals, "
		                     "e.g. NL");
	if (in->erasmus && in->erasmus[0] && !is_code(in->erasmus, 3, 32))
		return ok_fail_field(err, OK_EINPUT, "erasmus",
		                     "erasmus must be an Erasmus code such as \"NL GRONING01\"");
	if (in->schac && in->schac[0] &&
	    (!is_code(in->schac, 3, 100) || strchr(in->schac, ' ') || !strchr(in->schac, '.')))
		return ok_fail_field(err, OK_EINPUT, "schac",
		                     "schac must be a domain name such as rug.nl");
	return 0;
}

static int check_permissions(const char *p, struct ok_error *err)
{
	/* No permission mints login links: a link opens all of a learner's records, also those at
	 * other institutions, so only the operator's CLI makes them. */
	/* verify: the OpenID4VP verifier's requests (POST /v1/verifier/requests). */
	static const char *const known[] = {"register", "read", "vc-issue", "export", "verify"};
	char copy[128];
	char *tok, *save = NULL;
	size_t i;

	if (snprintf(copy, sizeof(copy), "%s", p) >= (int)sizeof(copy))
		return ok_fail_field(err, OK_EINPUT, "permit", "too many permissions");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(tok, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return ok_fail_field(err, OK_EINPUT, "permit",
			                     "unknown permission '%s' (known: register, read, "
			                     "vc-issue, export, verify)",
			                     tok);
	}
	return 0;
}

static void key_hash(const char *key_text, unsigned char out[STORE_HASH_BYTES])
{
	crypto_generichash(out, STORE_HASH_BYTES, (const unsigned char *)key_text, strlen(key_text),
	                   NULL, 0);
}

/* Makes a key inside the caller's transaction t. */
static int add_key(struct audit_txn *t, const char *code, const char *permissions,
                   char key_out[API_KEY_TEXT_MAX + 1], struct ok_error *err)
{
	struct store_api_key k;
	unsigned char raw[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	int rc;

	memset(&k, 0, sizeof(k));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	rc = ok_format(key_out, API_KEY_TEXT_MAX + 1, "ok_%s", b64);
	sodium_memzero(b64, sizeof(b64));
	if (rc)
		return ok_fail(err, OK_EINTERNAL, "API_KEY_TEXT_MAX is too small for a key");
	depository_new_id(k.id);
	if (ok_format(k.institution, sizeof(k.institution), "%s", code ? code : "") ||
	    ok_format(k.permissions, sizeof(k.permissions), "%s", permissions))
		return ok_fail_field(err, OK_EINPUT, code ? "institution" : "permit",
		                     "institution code or permissions too long");
	key_hash(key_out, k.key_hash);
	k.created_ms = ok_now_ms();
	rc = store_api_key_add(t->d->store, &k, err);
	if (!rc)
		rc = audit_txn_event(t, AUDIT_OPERATOR, "key.create", k.id, "administration",
		                     code ? code : "", err);
	return rc;
}

int registry_institution_add(struct depository *d, const struct institution_input *in,
                             char key_out[API_KEY_TEXT_MAX + 1], struct ok_error *err)
{
	struct store_institution inst;
	const char *perm = in->permissions ? in->permissions : "register,read";
	struct audit_txn txn;
	int rc;

	if ((rc = validate(in, err)) || (rc = check_permissions(perm, err)))
		return rc;
	memset(&inst, 0, sizeof(inst));
	/* validate() bounds each of them; a cut would still be an error, never a stored prefix. */
	if (ok_format(inst.code, sizeof(inst.code), "%s", in->code) ||
	    ok_format(inst.name, sizeof(inst.name), "%s", in->name) ||
	    ok_format(inst.country, sizeof(inst.country), "%s", in->country) ||
	    ok_format(inst.erasmus, sizeof(inst.erasmus), "%s", in->erasmus ? in->erasmus : "") ||
	    ok_format(inst.schac, sizeof(inst.schac), "%s", in->schac ? in->schac : ""))
		return ok_fail(err, OK_EINPUT, "an institution field is too long");
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_institution_add(d->store, &inst, err);
	if (rc == OK_EEXIST)
		rc = ok_fail_field(err, OK_EEXIST, "code", "institution %s already exists",
		                   inst.code);
	if (!rc)
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "institution.add", inst.code,
		                     "administration", "", err);
	if (!rc)
		rc = add_key(&txn, inst.code, perm, key_out, err);
	if ((rc = audit_txn_end(&txn, rc, err)))
		sodium_memzero(key_out, API_KEY_TEXT_MAX + 1);
	return rc;
}

int registry_institution_list(struct depository *d, store_institution_fn fn, void *ctx,
                              struct ok_error *err)
{
	return store_institution_list(d->store, fn, ctx, err);
}

/* For the keys of one institution (code) or of the depository (NULL): 0 when code is NULL or
 * names an institution, OK_ENOTFOUND on the field "institution" when it names none. */
static int check_institution(struct depository *d, const char *code, struct ok_error *err)
{
	struct store_institution inst;
	int rc;

	if (!code)
		return 0;
	rc = store_institution_get(d->store, code, &inst, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "institution", "unknown institution %s", code);
	return rc;
}

int registry_apikey_add(struct depository *d, const char *code, const char *permissions,
                        char key_out[API_KEY_TEXT_MAX + 1], struct ok_error *err)
{
	struct audit_txn txn;
	int rc;

	if ((rc = check_permissions(permissions, err)))
		return rc;
	if ((rc = check_institution(d, code, err)))
		return rc;
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = add_key(&txn, code, permissions, key_out, err);
	return audit_txn_end(&txn, rc, err);
}

int registry_apikey_list(struct depository *d, const char *code, store_api_key_fn fn, void *ctx,
                         struct ok_error *err)
{
	int rc;

	if ((rc = check_institution(d, code, err)))
		return rc;
	return store_api_key_list(d->store, code, fn, ctx, err);
}

int registry_apikey_revoke(struct depository *d, const char *id, struct ok_error *err)
{
	struct audit_txn txn;
	int rc;

	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_api_key_revoke(d->store, id, ok_now_ms(), err);
	if (!rc)
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "key.revoke", id, "administration", "",
		                     err);
	return audit_txn_end(&txn, rc, err);
}

/* How stale a key's last-used time may get: one write a minute per key at most, instead of one
 * per request. */
#define KEY_USE_RESOLUTION_MS 60000

/* Records the key's use; a failure (a busy or full disk) must not turn the request away, so it
 * is dropped: the time is informational. */
static void note_use(struct depository *d, const struct store_api_key *k)
{
	int64_t now = ok_now_ms();

	if (now - k->last_used_ms < KEY_USE_RESOLUTION_MS || store_in_transaction(d->store) ||
	    store_begin(d->store, NULL) != 0)
		return;
	if (store_api_key_touch(d->store, k->id, now, NULL) != 0 ||
	    store_commit(d->store, NULL) != 0)
		store_rollback(d->store);
}

int registry_apikey_check(struct depository *d, const char *key_text, struct store_api_key *out,
                          struct ok_error *err)
{
	unsigned char h[STORE_HASH_BYTES];
	struct store_key_block block;
	int rc;

	key_hash(key_text, h);
	rc = store_api_key_find(d->store, h, out, err);
	if (rc == OK_ENOTFOUND || (!rc && out->revoked_ms))
		return ok_fail(err, OK_EAUTH, "unknown or revoked API key");
	if (rc)
		return rc;
	rc = leak_block_get(d, out->id, &block, err);
	if (rc == OK_ENOTFOUND) {
		note_use(d, out);
		return 0;
	}
	if (rc)
		return rc;
	return ok_fail(err, OK_ELIMIT,
	               "this API key is blocked: it read the personal data of more learners, or "
	               "met more identity conflicts, than its institution's limit allows; an "
	               "operator can lift the block with "
	               "'oorkonde institution unblock-key %s'",
	               out->id);
}
