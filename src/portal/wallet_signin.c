/* Finishing a wallet sign-in (see wallet_signin.h). */
#include "portal/wallet_signin.h"
#include "portal/internal.h"

#include "audit/log.h"
#include "core/format.h"
#include "oid4vp/signin.h"

#include <sodium.h>
#include <string.h>

int portal_wallet_finish(struct depository *d, const char *view, const char *code,
                         struct portal_session *out, struct ok_error *err)
{
	char learner_id[STORE_ID_MAX + 1];
	struct oidc_identity who;
	struct ok_error lookup;
	struct audit_txn txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!view)
		return ok_fail(err, OK_ENOTFOUND,
		               "no sign-in was started in this browser: start again");
	if ((rc = oid4vp_signin_take(d, view, code, &who, err)))
		return rc;
	ok_error_clear(&lookup);
	rc = portal_find_in_scheme(d, who.national_id, who.country, learner_id, &lookup);
	sodium_memzero(&who, sizeof(who));
	if (rc == OK_ENOTFOUND || rc == OK_EINPUT) {
		audit_record(d, "wallet:signin", "wallet.unknown", NULL, "sign-in",
		             "reason=national_id", NULL);
		return ok_fail(err, OK_ENOTFOUND, "no records are registered for you");
	}
	if (rc) {
		if (err)
			*err = lookup;
		return rc;
	}
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = portal_session_open(d, &txn, learner_id, PORTAL_WALLET_PROVIDER, "wallet", out, err);
	if ((rc = audit_txn_end(&txn, rc, err)))
		sodium_memzero(out, sizeof(*out));
	return rc;
}
