/* The local trust list (see trust.h). */
#include "registry/trust.h"

#include "io/utf8.h"
#include "registry/institution.h"

#include <stdio.h>
#include <string.h>

/* A DID: "did:", a lower-case method name, ':', then a method-specific id of URL-safe text. */
static bool did_valid(const char *did)
{
	const char *p;
	size_t n = strlen(did);

	if (n < 8 || n > 256 || strncmp(did, "did:", 4) != 0)
		return false;
	for (p = did + 4; *p && *p != ':'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	if (*p != ':' || p == did + 4 || !p[1])
		return false;
	for (p++; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-_:%", *p)))
			return false;
	return true;
}

int registry_trust_add(struct depository *d, const char *did, const char *name, const char *country,
                       struct ok_error *err)
{
	struct store_trusted_issuer t;
	int rc;

	if (!did || !did_valid(did))
		return ok_fail_field(
		        err, OK_EINPUT, "did",
		        "not a DID (e.g. did:web:diploma.example.nl or did:key:z6Mk…)");
	if (!name || !name[0] || strlen(name) > 200 || !utf8_valid(name, strlen(name)))
		return ok_fail_field(err, OK_EINPUT, "name", "name must be 1-200 characters");
	if (!country || !registry_country_valid(country))
		return ok_fail_field(err, OK_EINPUT, "country",
		                     "country must be an ISO 3166-1 alpha-2 code such as NO");
	memset(&t, 0, sizeof(t));
	snprintf(t.did, sizeof(t.did), "%s", did);
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.country, sizeof(t.country), "%s", country);
	snprintf(t.source, sizeof(t.source), "local");
	snprintf(t.status, sizeof(t.status), "active");
	t.since_ms = audit_now_ms();
	if ((rc = store_begin(d->store, err)))
		return rc;
	rc = d->store->ops->trust_put(d->store, &t, err);
	if (!rc)
		rc = depository_audit(d, "operator", "trust.add", did, "administration", country,
		                      false, err);
	if (!rc)
		rc = store_commit(d->store, err);
	if (rc)
		store_rollback(d->store);
	return rc;
}

int registry_trust_remove(struct depository *d, const char *did, struct ok_error *err)
{
	int rc;

	if ((rc = store_begin(d->store, err)))
		return rc;
	rc = d->store->ops->trust_remove(d->store, did, err);
	if (rc == OK_ENOTFOUND)
		ok_fail_field(err, rc, "did", "%.256s is not on the trust list", did);
	if (!rc)
		rc = depository_audit(d, "operator", "trust.remove", did, "administration", "",
		                      false, err);
	if (!rc)
		rc = store_commit(d->store, err);
	if (rc)
		store_rollback(d->store);
	return rc;
}
