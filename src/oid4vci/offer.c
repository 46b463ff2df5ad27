/* Credential offers of the pre-authorized code flow (oid4vci.h): made for a learner's chosen
 * results, found by the token in their offer URI, from which the pre-authorized code is
 * derived, so that neither is kept in clear. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "oid4vci/internal.h"
#include "registry/achievement.h"

static const char *vct_name(enum sdjwt_vct vct)
{
	return vct == SDJWT_VCT_EU_LEARNING ? "eu-learning" : "own";
}

int oid4vci_offer_create(struct depository *d, const char *learner_id, const char *const *ids,
                         size_t n, enum sdjwt_vct vct, bool pin, const char *actor, int64_t now_ms,
                         struct oid4vci_offer_made *out, struct ok_error *err)
{
	struct store_vci_offer o;
	struct store_achievement a;
	struct audit_txn t;
	char token[OID4VCI_SECRET_LEN + 1], code[OID4VCI_SECRET_LEN + 1], detail[160];
	size_t i, j, len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&o, 0, sizeof(o));
	if (!now_ms)
		now_ms = ok_now_ms();
	if (n == 0 || n > STORE_VCI_ACHIEVEMENTS_MAX)
		return ok_fail_field(err, OK_EINPUT, "achievements",
		                     "an offer holds 1 to %d achievements",
		                     STORE_VCI_ACHIEVEMENTS_MAX);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				return ok_fail_field(err, OK_EINPUT, "achievements",
				                     "an achievement is named twice");
		/* Another learner's achievement answers as a missing one. */
		if (!depository_id_valid(ids[i]) ||
		    (rc = registry_achievement_get(d, ids[i], NULL, &a, err)) == OK_ENOTFOUND ||
		    (!rc && strcmp(a.learner_id, learner_id) != 0))
			return ok_fail_field(err, OK_ENOTFOUND, "achievements",
			                     "the learner has no achievement %s",
			                     depository_id_valid(ids[i]) ? ids[i] : "of that id");
		if (rc)
			return rc;
		/* What the institution has withdrawn, for good or while it looks into it, is not
		 * issued as a fresh credential (nor shared: portal/share.c). */
		if (strcmp(a.status, "revoked") == 0 || strcmp(a.status, "suspended") == 0)
			return ok_fail_field(err, OK_ECONFLICT, "achievements",
			                     "achievement %s is %s", ids[i], a.status);
		if (ok_format(o.achievements + len, sizeof(o.achievements) - len, "%s%s",
		              i ? "," : "", ids[i]))
			return ok_fail(err, OK_ETOOBIG, "too many achievements");
		len += strlen(o.achievements + len);
	}
	depository_new_id(o.id);
	oid4vci_secret(token);
	oid4vci_code_of(token, code);
	oid4vci_hash("offer", NULL, token, o.offer_hash);
	oid4vci_hash("code", NULL, code, o.code_hash);
	if (pin) {
		for (i = 0; i < OID4VCI_PIN_DIGITS; i++)
			out->pin[i] = (char)('0' + randombytes_uniform(10));
		out->pin[OID4VCI_PIN_DIGITS] = '\0';
		/* Salted with the code: six digits alone would be found from the hash. */
		oid4vci_hash("pin", code, out->pin, o.pin_hash);
	}
	if (ok_format(o.learner_id, sizeof(o.learner_id), "%s", learner_id) ||
	    ok_format(o.vct, sizeof(o.vct), "%s", vct_name(vct)) ||
	    ok_format(o.created_by, sizeof(o.created_by), "%s", actor))
		return ok_fail(err, OK_EINPUT, "learner id or actor too long");
	o.created_ms = now_ms;
	o.expires_ms = now_ms + (int64_t)OID4VCI_OFFER_TTL_S * 1000;
	if (ok_format(out->offer_uri, sizeof(out->offer_uri), "%s/oid4vci/offers/%s", d->base_url,
	              token))
		return ok_fail(err, OK_ETOOBIG, "the depository's URL is too long");
	/* The offer URI is a URL component of the link: every reserved character escaped. */
	{
		static const char hex[] = "0123456789ABCDEF";
		size_t k = 0;
		const char *p;

		if (ok_format(out->link, sizeof(out->link),
		              "openid-credential-offer://"
		              "?credential_offer_uri="))
			return ok_fail(err, OK_ETOOBIG, "link too long");
		k = strlen(out->link);
		for (p = out->offer_uri; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (k + 4 >= sizeof(out->link))
				return ok_fail(err, OK_ETOOBIG, "link too long");
			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			    c == '~') {
				out->link[k++] = (char)c;
			} else {
				out->link[k++] = '%';
				out->link[k++] = hex[c >> 4];
				out->link[k++] = hex[c & 15];
			}
		}
		out->link[k] = '\0';
	}
	OK_COPY_ARRAY(out->id, o.id);
	out->expires_ms = o.expires_ms;
	if (ok_format(detail, sizeof(detail), "offer=%s achievements=%zu vct=%s pin=%s", o.id, n,
	              o.vct, pin ? "yes" : "no"))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if ((rc = audit_txn_begin(d, &t, err)))
		return rc;
	/* Offers that ran out are forgotten as new ones are made. */
	rc = store_vci_prune(d->store, now_ms - (int64_t)OID4VCI_OFFER_TTL_S * 1000, err);
	if (!rc)
		rc = store_vci_offer_put(d->store, &o, err);
	if (!rc)
		rc = audit_txn_event(&t, actor, "wallet.offer", learner_id, "wallet", detail, err);
	rc = audit_txn_end(&t, rc, err);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(code, sizeof(code));
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int oid4vci_offer_json(struct depository *d, const char *token, int64_t now_ms, json_t **out,
                       struct ok_error *err)
{
	struct store_vci_offer o;
	struct store_achievement a;
	char code[OID4VCI_SECRET_LEN + 1], list[STORE_VCI_IDS_MAX], *id, *save = NULL;
	unsigned char hash[STORE_HASH_BYTES];
	json_t *configs, *grant, *doc;
	enum sdjwt_vct vct;
	int rc;

	if (!now_ms)
		now_ms = ok_now_ms();
	if (strlen(token) != OID4VCI_SECRET_LEN)
		return ok_fail(err, OK_ENOTFOUND, "no such credential offer");
	oid4vci_hash("offer", NULL, token, hash);
	if ((rc = store_vci_offer_by_token(d->store, hash, &o, err)) == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such credential offer");
	if (rc)
		return rc;
	if (o.redeemed_ms || o.expires_ms <= now_ms)
		return ok_fail(err, OK_EGONE, "the credential offer was used or has expired");
	vct = strcmp(o.vct, "eu-learning") == 0 ? SDJWT_VCT_EU_LEARNING : SDJWT_VCT_OWN;
	if (!(configs = json_array()))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	OK_COPY_ARRAY(list, o.achievements);
	for (id = strtok_r(list, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
		char cid[64];
		size_t i;
		json_t *v;
		bool seen = false;

		if ((rc = store_achievement_get(d->store, id, &a, err))) {
			json_decref(configs);
			return rc == OK_ENOTFOUND
			               ? ok_fail(err, OK_EGONE, "an offered result is gone")
			               : rc;
		}
		if (oid4vci_configuration_id(a.kind, vct, cid, sizeof(cid)))
			continue;
		json_array_foreach(configs, i, v) seen |= strcmp(json_string_value(v), cid) == 0;
		if (!seen)
			json_array_append_new(configs, json_string(cid));
	}
	oid4vci_code_of(token, code);
	grant = json_pack("{s:s}", "pre-authorized_code", code);
	sodium_memzero(code, sizeof(code));
	if (grant && !sodium_is_zero(o.pin_hash, sizeof(o.pin_hash)))
		json_object_set_new(
		        grant, "tx_code",
		        json_pack(
		                "{s:s,s:i,s:s}", "input_mode", "numeric", "length",
		                OID4VCI_PIN_DIGITS, "description",
		                "De pincode naast de QR-code / the PIN shown beside the QR code"));
	doc = grant ? json_pack("{s:s,s:o,s:{s:o}}", "credential_issuer", d->base_url,
	                        "credential_configuration_ids", configs, "grants",
	                        OID4VCI_GRANT_PRE_AUTH, grant)
	            : NULL;
	if (!doc) {
		if (!grant)
			json_decref(configs);
		return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	*out = doc;
	return 0;
}
