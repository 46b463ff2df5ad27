/* The token endpoint and the nonce endpoint of the pre-authorized code flow (oid4vci.h). */
#include <sodium.h>
#include <string.h>

#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "oid4vci/internal.h"
#include "registry/achievement.h"

/* Checks a DPoP proof for POST/GET at BASE+path and keeps its jti until it could no longer be
 * accepted, so that a replay is refused. */
int oid4vci_dpop_accept(struct depository *d, const char *proof, const char *htm, const char *path,
                        const char *access_token, int64_t now_ms, char jkt[JOSE_THUMBPRINT_MAX],
                        const char **oauth, struct ok_error *err)
{
	char htu[DEPOSITORY_HOST_MAX + 64], jti[129];
	unsigned char hash[STORE_HASH_BYTES];
	int rc;

	if (ok_format(htu, sizeof(htu), "%s%s", d->base_url, path))
		return ok_fail(err, OK_ETOOBIG, "the depository's URL is too long");
	if ((rc = oid4vci_dpop_check(proof, htm, htu, access_token, now_ms / 1000, jkt, jti,
	                             sizeof(jti), err))) {
		*oauth = "invalid_dpop_proof";
		return rc;
	}
	oid4vci_hash("dpop", jkt, jti, hash);
	rc = store_vci_once_put(d->store, hash,
	                        now_ms + (int64_t)(OID4VCI_SKEW_S + OID4VCI_FUTURE_S) * 1000, err);
	if (rc == OK_ECONFLICT)
		return OID4VCI_REFUSE(oauth, "invalid_dpop_proof", err, OK_EINVALID,
		                      "the DPoP proof was used already (jti)");
	return rc;
}

/* authorization_details of the token response: per configuration, the offered achievements
 * (their ids are the credential identifiers). */
static json_t *authorization_details(struct depository *d, const struct store_vci_offer *o)
{
	enum sdjwt_vct vct =
	        strcmp(o->vct, "eu-learning") == 0 ? SDJWT_VCT_EU_LEARNING : SDJWT_VCT_OWN;
	char list[STORE_VCI_IDS_MAX], *id, *save = NULL;
	json_t *out = json_array();
	struct store_achievement a;
	struct ok_error ignored;

	OK_COPY_ARRAY(list, o->achievements);
	for (id = strtok_r(list, ",", &save); id && out; id = strtok_r(NULL, ",", &save)) {
		char cid[64];
		json_t *v, *found = NULL;
		size_t i;

		if (store_achievement_get(d->store, id, &a, &ignored) ||
		    oid4vci_configuration_id(a.kind, vct, cid, sizeof(cid)))
			continue;
		json_array_foreach(out, i, v) if (strcmp(json_string_value(json_object_get(
		                                                 v, "credential_configuration_id")),
		                                         cid) == 0) found = v;
		if (!found) {
			found = json_pack("{s:s,s:s,s:[]}", "type", "openid_credential",
			                  "credential_configuration_id", cid,
			                  "credential_identifiers");
			json_array_append_new(out, found);
		}
		json_array_append_new(json_object_get(found, "credential_identifiers"),
		                      json_string(id));
	}
	return out;
}

int oid4vci_token(struct depository *d, const struct oid4vci_token_req *r, json_t **out,
                  const char **oauth, struct ok_error *err)
{
	int64_t now = r->now_ms ? r->now_ms : ok_now_ms();
	char jkt[JOSE_THUMBPRINT_MAX] = "", token[OID4VCI_SECRET_LEN + 1], detail[160];
	unsigned char hash[STORE_HASH_BYTES];
	struct store_vci_offer o;
	struct store_vci_token t;
	struct audit_txn txn;
	json_t *doc;
	bool burnt = false;
	int rc;

	*oauth = NULL;
	*out = NULL;
	if (!r->grant_type)
		return OID4VCI_REFUSE(oauth, "invalid_request", err, OK_EINPUT,
		                      "grant_type is required");
	if (strcmp(r->grant_type, OID4VCI_GRANT_PRE_AUTH) != 0)
		return OID4VCI_REFUSE(oauth, "unsupported_grant_type", err, OK_EINPUT,
		                      "only the pre-authorized code grant is offered");
	if (!r->code || !*r->code)
		return OID4VCI_REFUSE(oauth, "invalid_request", err, OK_EINPUT,
		                      "pre-authorized_code is required");
	if (!r->dpop && d->wallet_dpop_required)
		return OID4VCI_REFUSE(oauth, "invalid_dpop_proof", err, OK_EINPUT,
		                      "this issuer requires a DPoP proof");
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	if (r->dpop &&
	    (rc = oid4vci_dpop_accept(d, r->dpop, "POST", "/token", NULL, now, jkt, oauth, err)))
		goto out;
	oid4vci_hash("code", NULL, r->code, hash);
	rc = store_vci_offer_by_code(d->store, hash, &o, err);
	if (rc == OK_ENOTFOUND) {
		rc = OID4VCI_REFUSE(oauth, "invalid_grant", err, OK_EINVALID,
		                    "unknown pre-authorized code");
		goto out;
	}
	if (rc)
		goto out;
	if (o.redeemed_ms || o.expires_ms <= now) {
		rc = OID4VCI_REFUSE(oauth, "invalid_grant", err, OK_EINVALID,
		                    "the pre-authorized code was used or has expired");
		goto out;
	}
	if (sodium_is_zero(o.pin_hash, sizeof(o.pin_hash))) {
		if (r->tx_code) {
			rc = OID4VCI_REFUSE(oauth, "invalid_request", err, OK_EINPUT,
			                    "this offer has no transaction code (tx_code)");
			goto out;
		}
	} else {
		unsigned char pin[STORE_HASH_BYTES];

		if (r->tx_code)
			oid4vci_hash("pin", r->code, r->tx_code, pin);
		if (!r->tx_code || sodium_memcmp(pin, o.pin_hash, sizeof(pin)) != 0) {
			int64_t tries = 0;

			/* The wrong try is kept (committed) while the request is refused. Count
			 * and burn are one statement deciding on the row's own count, not on
			 * o.pin_tries read above: correct without relying on the writer lock
			 * that BEGIN takes today. */
			rc = store_vci_offer_wrong_pin(d->store, o.id, OID4VCI_PIN_TRIES, now,
			                               &tries, err);
			if (rc == OK_ECONFLICT) {
				rc = OID4VCI_REFUSE(oauth, "invalid_grant", err, OK_EINVALID,
				                    "the pre-authorized code was used or has "
				                    "expired");
				goto out;
			}
			burnt = !rc && tries >= OID4VCI_PIN_TRIES;
			if (!rc)
				rc = audit_txn_event(&txn, "wallet", "wallet.pin_wrong",
				                     o.learner_id, "wallet",
				                     burnt ? "offer burnt" : "", err);
			rc = audit_txn_end(&txn, rc, err);
			if (rc)
				return rc;
			if (burnt)
				return OID4VCI_REFUSE(
				        oauth, "invalid_grant", err, OK_EINVALID,
				        "wrong transaction code; the offer is withdrawn "
				        "after %d wrong tries",
				        OID4VCI_PIN_TRIES);
			return OID4VCI_REFUSE(oauth, "invalid_grant", err, OK_EINVALID,
			                      "wrong transaction code (tx_code)");
		}
	}
	if ((rc = store_vci_offer_redeem(d->store, o.id, now, err)) == OK_ECONFLICT) {
		rc = OID4VCI_REFUSE(oauth, "invalid_grant", err, OK_EINVALID,
		                    "the pre-authorized code was used already");
		goto out;
	}
	if (rc)
		goto out;
	memset(&t, 0, sizeof(t));
	oid4vci_secret(token);
	oid4vci_hash("token", NULL, token, t.token_hash);
	OK_COPY_ARRAY(t.offer_id, o.id);
	OK_COPY_ARRAY(t.jkt, jkt);
	t.created_ms = now;
	t.expires_ms = now + (int64_t)OID4VCI_TOKEN_TTL_S * 1000;
	if (ok_format(detail, sizeof(detail), "offer=%s dpop=%s", o.id, jkt[0] ? jkt : "no"))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = store_vci_token_put(d->store, &t, err);
	if (!rc) {
		char actor[STORE_ID_MAX + 16];

		rc = ok_format(actor, sizeof(actor), "wallet:%s", o.id)
		             ? ok_fail(err, OK_EINTERNAL, "actor too long")
		             : audit_txn_event(&txn, actor, "wallet.redeem", o.learner_id, "wallet",
		                               detail, err);
	}
out:
	rc = audit_txn_end(&txn, rc, err);
	if (rc) {
		if (!*oauth && (rc == OK_EINPUT || rc == OK_EINVALID))
			*oauth = "invalid_request";
		return rc;
	}
	doc = json_pack("{s:s,s:s,s:i,s:o}", "access_token", token, "token_type",
	                jkt[0] ? "DPoP" : "Bearer", "expires_in", OID4VCI_TOKEN_TTL_S,
	                "authorization_details", authorization_details(d, &o));
	sodium_memzero(token, sizeof(token));
	if (!doc)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	*out = doc;
	return 0;
}

int oid4vci_nonce(struct depository *d, int64_t now_ms, json_t **out, struct ok_error *err)
{
	char nonce[OID4VCI_SECRET_LEN + 1];
	unsigned char hash[STORE_HASH_BYTES];
	struct audit_txn t;
	int rc;

	if (!now_ms)
		now_ms = ok_now_ms();
	oid4vci_secret(nonce);
	oid4vci_hash("nonce", NULL, nonce, hash);
	if ((rc = audit_txn_begin(d, &t, err)))
		return rc;
	rc = store_vci_once_put(d->store, hash, now_ms + (int64_t)OID4VCI_NONCE_TTL_S * 1000, err);
	/* Nonces and DPoP ids that ran out are forgotten as new ones are made. */
	if (!rc)
		rc = store_vci_prune(d->store, now_ms - (int64_t)OID4VCI_OFFER_TTL_S * 1000, err);
	if ((rc = audit_txn_end(&t, rc, err)))
		return rc;
	if (!(*out = json_pack("{s:s}", "c_nonce", nonce)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	return 0;
}
