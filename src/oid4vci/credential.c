/* The credential endpoint (oid4vci.h): an access token from the token endpoint (DPoP-bound or
 * bearer), proofs of possession of the wallet's keys, each with a fresh c_nonce, and one SD-JWT
 * VC per proof key, bound to it by cnf.jwk. Also what a learner's wallets received. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit/log.h"
#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "jose/sdjwt.h"
#include "oid4vci/internal.h"
#include "registry/achievement.h"

struct proof_key {
	struct jose_jwk key;
	json_t *jwk;
	char thumbprint[JOSE_THUMBPRINT_MAX];
	char nonce[OID4VCI_SECRET_LEN + 8];
};

/* The access token from the Authorization header, checked against the store. */
static int access_token(struct depository *d, const struct oid4vci_credential_req *r, int64_t now,
                        struct store_vci_token *t, const char **token, bool *dpop,
                        const char **oauth, struct ok_error *err)
{
	const char *h = r->authorization;
	unsigned char hash[STORE_HASH_BYTES];
	int rc;

	if (!h)
		return OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
		                      "send the access token in the Authorization header");
	if (strncasecmp(h, "DPoP ", 5) == 0)
		*dpop = true;
	else if (strncasecmp(h, "Bearer ", 7) == 0)
		*dpop = false;
	else
		return OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
		                      "the Authorization scheme must be DPoP or Bearer");
	*token = h + (*dpop ? 5 : 7);
	if (strlen(*token) != OID4VCI_SECRET_LEN)
		return OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
		                      "unknown access token");
	oid4vci_hash("token", NULL, *token, hash);
	rc = store_vci_token_find(d->store, hash, t, err);
	if (rc == OK_ENOTFOUND || (!rc && t->expires_ms <= now))
		return OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
		                      "unknown or expired access token");
	if (rc)
		return rc;
	if (t->jkt[0] && !*dpop)
		return OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
		                      "a DPoP-bound access token must be sent as DPoP");
	if (!t->jkt[0] && *dpop)
		return OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
		                      "a bearer access token must be sent as Bearer");
	return 0;
}

/* The offered achievement a request names, and its configuration id. */
static int chosen(struct depository *d, const struct store_vci_offer *o,
                  const struct oid4vci_cred_body *b, char id[STORE_ID_MAX + 1], char cid[64],
                  const char **oauth, struct ok_error *err)
{
	enum sdjwt_vct vct =
	        strcmp(o->vct, "eu-learning") == 0 ? SDJWT_VCT_EU_LEARNING : SDJWT_VCT_OWN;
	char list[STORE_VCI_IDS_MAX], *each, *save = NULL, c[64];
	struct store_achievement a;
	int found = 0, rc;

	OK_COPY_ARRAY(list, o->achievements);
	for (each = strtok_r(list, ",", &save); each; each = strtok_r(NULL, ",", &save)) {
		if (b->identifier && strcmp(b->identifier, each) != 0)
			continue;
		if ((rc = store_achievement_get(d->store, each, &a, err)))
			return rc == OK_ENOTFOUND
			               ? ok_fail(err, OK_EGONE, "an offered result is gone")
			               : rc;
		if (oid4vci_configuration_id(a.kind, vct, c, sizeof(c)))
			continue;
		if (b->configuration && strcmp(b->configuration, c) != 0)
			continue;
		/* Revoked or suspended after the offer was made: the wallet gets nothing, not a
		 * revoked or suspended credential. */
		if (strcmp(a.status, "revoked") == 0 || strcmp(a.status, "suspended") == 0)
			return OID4VCI_REFUSE(oauth, "credential_request_denied", err, OK_ECONFLICT,
			                      "the result was %s", a.status);
		if (found++)
			return OID4VCI_REFUSE(oauth, "invalid_credential_request", err, OK_EINPUT,
			                      "the offer holds several results of %s: name one by "
			                      "credential_identifier",
			                      c);
		memcpy(id, a.id, STORE_ID_MAX + 1);
		memcpy(cid, c, sizeof(c));
	}
	if (!found && b->identifier)
		return OID4VCI_REFUSE(oauth, "unknown_credential_identifier", err, OK_EINPUT,
		                      "credential_identifier is not one of the offer's");
	if (!found)
		return OID4VCI_REFUSE(oauth, "unknown_credential_configuration", err, OK_EINPUT,
		                      "credential_configuration_id is not one of the offer's");
	return 0;
}

int oid4vci_credential(struct depository *d, const struct oid4vci_credential_req *r, json_t **out,
                       const char **oauth, struct ok_error *err)
{
	int64_t now = r->now_ms ? r->now_ms : ok_now_ms();
	struct proof_key keys[OID4VCI_BATCH_MAX];
	struct oid4vci_cred_body b;
	struct store_vci_token t;
	struct store_vci_offer o;
	struct audit_txn txn;
	struct sdjwt_issuer issuer;
	char id[STORE_ID_MAX + 1], cid[64], actor[STORE_ID_MAX + 16];
	const char *token = NULL;
	json_t *creds = NULL;
	bool dpop = false, in_txn = false;
	size_t i, j, nkeys = 0;
	int rc;

	*oauth = NULL;
	*out = NULL;
	memset(keys, 0, sizeof(keys));
	memset(&issuer, 0, sizeof(issuer));
	if ((rc = access_token(d, r, now, &t, &token, &dpop, oauth, err)))
		return rc;
	if ((rc = store_vci_offer_get(d->store, t.offer_id, &o, err)))
		return rc == OK_ENOTFOUND ? OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
		                                           "the offer of this token is gone")
		                          : rc;
	if ((rc = oid4vci_cred_body_parse(r->body, &b, oauth, err)) ||
	    (rc = chosen(d, &o, &b, id, cid, oauth, err)))
		return rc;
	for (i = 0; i < b.njwts; i++) {
		struct proof_key *k = &keys[nkeys];

		if ((rc = oid4vci_proof_check(b.jwts[i], d->base_url, now / 1000, &k->key, k->nonce,
		                              sizeof(k->nonce), oauth, err)))
			goto out;
		nkeys++;
		if ((rc = jose_jwk_thumbprint(&k->key, k->thumbprint, err)) ||
		    (rc = jose_jwk_to_json(&k->key, &k->jwk, err)))
			goto out;
		for (j = 0; j + 1 < nkeys; j++)
			if (strcmp(keys[j].thumbprint, k->thumbprint) == 0) {
				rc = OID4VCI_REFUSE(oauth, "invalid_proof", err, OK_EINPUT,
				                    "two proofs of the same key");
				goto out;
			}
	}
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	in_txn = true;
	if (t.jkt[0]) {
		char jkt[JOSE_THUMBPRINT_MAX];

		if (!r->dpop) {
			rc = OID4VCI_REFUSE(oauth, "invalid_dpop_proof", err, OK_EAUTH,
			                    "a DPoP-bound access token needs a DPoP proof");
			goto out;
		}
		if ((rc = oid4vci_dpop_accept(d, r->dpop, "POST", "/credential", token, now, jkt,
		                              oauth, err)))
			goto out;
		if (strcmp(jkt, t.jkt) != 0) {
			rc = OID4VCI_REFUSE(oauth, "invalid_token", err, OK_EAUTH,
			                    "the DPoP proof's key is not the token's");
			goto out;
		}
	}
	/* Each c_nonce once: two proofs of one request may share one. */
	for (i = 0; i < nkeys; i++) {
		unsigned char hash[STORE_HASH_BYTES];
		bool taken = false;

		for (j = 0; j < i; j++)
			taken |= strcmp(keys[j].nonce, keys[i].nonce) == 0;
		if (taken)
			continue;
		oid4vci_hash("nonce", NULL, keys[i].nonce, hash);
		rc = store_vci_once_take(d->store, hash, now, err);
		if (rc == OK_ENOTFOUND)
			rc = OID4VCI_REFUSE(oauth, "invalid_nonce", err, OK_EINVALID,
			                    "the proof's c_nonce is unknown, used or expired");
		if (rc)
			goto out;
	}
	if (ok_format(actor, sizeof(actor), "wallet:%s", o.id)) {
		rc = ok_fail(err, OK_EINTERNAL, "actor too long");
		goto out;
	}
	if (!(creds = json_array())) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	/* The wallet key and chain once for the whole batch. */
	if ((rc = registry_sdjwt_issuer_load(d, &issuer, err)))
		goto out;
	for (i = 0; i < nkeys && !rc; i++) {
		struct sdjwt_issue_options opt = {
		        .vct = strcmp(o.vct, "eu-learning") == 0 ? SDJWT_VCT_EU_LEARNING
		                                                 : SDJWT_VCT_OWN,
		        .holder_jwk = keys[i].jwk,
		        .now = now / 1000,
		        .issuer = &issuer,
		};
		char detail[200];
		struct buf sd;

		buf_init(&sd, JOSE_SDJWT_MAX);
		rc = registry_sdjwt_issue(d, id, NULL, &opt, actor, "wallet", &sd, err);
		if (!rc &&
		    ok_format(detail, sizeof(detail), "achievement=%s configuration=%s key=%s", id,
		              cid, keys[i].thumbprint))
			rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
		if (!rc)
			rc = audit_txn_event(&txn, actor, "wallet.issue", o.learner_id, "wallet",
			                     detail, err);
		if (!rc)
			json_array_append_new(creds,
			                      json_pack("{s:s%}", "credential", sd.data, sd.len));
		buf_release(&sd);
	}
out:
	registry_sdjwt_issuer_release(&issuer);
	if (in_txn)
		rc = audit_txn_end(&txn, rc, err);
	for (i = 0; i < OID4VCI_BATCH_MAX; i++) {
		jose_jwk_release(&keys[i].key);
		json_decref(keys[i].jwk);
	}
	if (rc) {
		json_decref(creds);
		if (!*oauth && (rc == OK_EINPUT || rc == OK_EINVALID))
			*oauth = "invalid_credential_request";
		return rc;
	}
	if (!(*out = json_pack("{s:o}", "credentials", creds)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	return 0;
}

struct history {
	json_t *list;
};

static int add_issue(void *ctx, const struct audit_event *e)
{
	struct history *h = ctx;
	char ach[STORE_ID_MAX + 1], conf[64], key[JOSE_THUMBPRINT_MAX], at[32];

	if (strcmp(e->action, "wallet.issue") != 0)
		return 0;
	if (sscanf(e->detail, "achievement=%24s configuration=%63s key=%43s", ach, conf, key) != 3)
		return 0;
	audit_format_time(e->at_ms, at);
	json_array_append_new(h->list, json_pack("{s:s,s:s,s:s,s:s}", "at", at, "achievement", ach,
	                                         "configuration", conf, "key", key));
	return 0;
}

int oid4vci_wallet_history(struct depository *d, const char *learner_id, json_t **out,
                           struct ok_error *err)
{
	struct history h = {json_array()};
	int rc;

	if (!h.list)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if ((rc = audit_log_about_learner(d, learner_id, add_issue, &h, err))) {
		json_decref(h.list);
		return rc;
	}
	*out = h.list;
	return 0;
}
