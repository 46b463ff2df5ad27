/* The depository's own presentations (see present.h). */
#include "registry/present.h"

#include "audit/txn.h"
#include "core/format.h"
#include "registry/credential.h"
#include "vc/jcs.h"
#include "vc/presentation.h"
#include "vc/proof.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One item as the presentation carries it: the credential object, or its token enveloped. */
static int item_json(const struct present_item *it, json_t **out, struct ok_error *err)
{
	struct ok_error sub;
	size_t start = 0, end = it->len;
	json_t *url;
	int rc;

	*out = NULL;
	while (start < end && strchr(" \t\r\n", it->data[start]))
		start++;
	while (end > start && strchr(" \t\r\n", it->data[end - 1]))
		end--;
	ok_error_clear(&sub);
	if (start < end && it->data[start] == '{') {
		rc = vc_jcs_parse(it->data + start, end - start, 0, out, &sub);
		if (rc)
			return ok_fail(err, rc, "%s: %s", it->name, sub.message);
		return 0;
	}
	{
		/* The token goes in as it is; vc_presentation_parse checks it is a compact JWS. */
		const size_t plen = sizeof(VC_PRESENTATION_JWT_DATA_PREFIX) - 1;
		size_t n = plen + (end - start);
		char *s = malloc(n + 1);

		if (!s)
			return ok_fail(err, OK_ENOMEM, "out of memory");
		memcpy(s, VC_PRESENTATION_JWT_DATA_PREFIX, plen);
		memcpy(s + plen, it->data + start, end - start);
		s[n] = '\0';
		url = json_stringn(s, n); /* NULL for bytes that are not UTF-8 */
		free(s);
	}
	*out = url ? json_pack("{s:[s], s:s, s:o}", "@context",
	                       "https://www.w3.org/ns/credentials/v2", "type",
	                       VC_PRESENTATION_ENVELOPED_TYPE, "id", url)
	           : NULL;
	if (!*out)
		return ok_fail(err, OK_EINPUT, "%s: neither a JSON credential nor a VC-JOSE token",
		               it->name);
	return 0;
}

int registry_present(struct depository *d, const struct present_item *items, size_t n,
                     const struct present_options *o, struct buf *out, struct ok_error *err)
{
	struct vc_proof_expect bind = {VC_PROOF_PURPOSE_AUTHENTICATION, o->challenge, o->domain};
	struct vc_proof_options opt = {0};
	struct depository_identity id;
	struct vc_presentation shape;
	struct ok_error sub;
	json_t *vp = NULL, *vcs = NULL, *one, *secured = NULL;
	char created[32], detail[64], *text = NULL;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int rc;

	if (n == 0 || n > VC_PRESENTATION_MAX_CREDENTIALS)
		return ok_fail(err, OK_EINPUT, "a presentation carries 1 to %d credentials",
		               VC_PRESENTATION_MAX_CREDENTIALS);
	/* Signed with the current key, also when another process just rotated it. */
	if ((rc = depository_keys_refresh(d, err)) || (rc = registry_identity(d, &id, err)))
		return rc;
	vcs = json_array();
	if (!vcs) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = item_json(&items[i], &one, err)))
			goto out;
		if (json_array_append_new(vcs, one)) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto out;
		}
	}
	vp = json_pack("{s:[s], s:[s], s:s, s:O}", "@context",
	               "https://www.w3.org/ns/credentials/v2", "type", VC_PRESENTATION_TYPE,
	               "holder", id.did, "verifiableCredential", vcs);
	if (!vp) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	/* What the receiver will refuse is refused here, naming the file. */
	ok_error_clear(&sub);
	if ((rc = vc_presentation_parse(vp, &shape, &sub))) {
		const char *bracket = strchr(sub.field, '[');
		size_t k = bracket ? (size_t)strtoul(bracket + 1, NULL, 10) : 0;
		rc = ok_fail(err, rc, "%s: %s", k < n ? items[k].name : "presentation",
		             sub.message);
		goto out;
	}
	vc_presentation_release(&shape);
	if (!gmtime_r(&now, &tm) ||
	    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		rc = ok_fail(err, OK_EINTERNAL, "cannot read the clock");
		goto out;
	}
	opt.verification_method = id.vm;
	opt.created = created;
	opt.suite = d->cryptosuite;
	if (o->cryptosuite && vc_suite_parse(o->cryptosuite, &opt.suite) != 0) {
		rc = ok_fail_field(err, OK_EINPUT, "cryptosuite",
		                   "the cryptosuite must be eddsa-rdfc-2022 or eddsa-jcs-2022");
		goto out;
	}
	if ((rc = vc_proof_create_bound(vp, &opt, &bind, id.sk, &secured, err)))
		goto out;
	text = json_dumps(secured, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text || buf_addstr(out, text) != 0 || buf_addstr(out, "\n") != 0) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	/* Key use is audited: which key, how many credentials (no content). */
	if (ok_format(detail, sizeof(detail), "credentials=%zu key=%lu", n,
	              (unsigned long)d->issuer_key_id)) {
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
		goto out;
	}
	rc = audit_record(d, o->actor, "presentation.sign", "", "presentation", detail, err);
out:
	free(text);
	json_decref(secured);
	json_decref(vp);
	json_decref(vcs);
	registry_identity_release(&id);
	return rc;
}
