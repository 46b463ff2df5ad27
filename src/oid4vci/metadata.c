/* The issuer's metadata for wallets (oid4vci.h): the Credential Issuer Metadata with one
 * configuration per kind of result in each type, and the Authorization Server Metadata of the
 * pre-authorized code flow. */
#include <string.h>

#include "core/format.h"
#include "model/registration.h"
#include "oid4vci/oid4vci.h"
#include "registry/sdjwt_type.h"

int oid4vci_configuration_id(const char *kind, enum sdjwt_vct vct, char *out, size_t cap)
{
	return ok_format(out, cap, "%s%s", kind, vct == SDJWT_VCT_EU_LEARNING ? "-eu" : "");
}

/* display: the Type Metadata's names (lang) as OpenID4VCI writes them (locale). */
static json_t *display_of(const json_t *type, enum sdjwt_vct vct)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(type, "display"), i, v)
	{
		const char *lang = json_string_value(json_object_get(v, "lang"));
		const char *name = json_string_value(json_object_get(v, "name"));
		char text[160];

		if (!lang || !name)
			continue;
		if (ok_format(text, sizeof(text), "%s%s", name,
		              vct == SDJWT_VCT_EU_LEARNING ? " (EU)" : ""))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s}", "name", text, "locale", lang));
	}
	return out;
}

/* The claims a wallet may show, with their labels, from the Type Metadata (own type). */
static json_t *claims_of(const json_t *type)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(type, "claims"), i, v)
	{
		json_t *c = json_object();
		json_t *disp = json_array(), *d;
		size_t j;

		json_object_set(c, "path", json_object_get(v, "path"));
		json_array_foreach(json_object_get(v, "display"), j, d) json_array_append_new(
		        disp, json_pack("{s:O,s:O}", "name", json_object_get(d, "label"), "locale",
		                        json_object_get(d, "lang")));
		json_object_set_new(c, "display", disp);
		json_array_append_new(out, c);
	}
	return out;
}

int oid4vci_issuer_metadata(struct depository *d, json_t **out, struct ok_error *err)
{
	json_t *doc, *configs = json_object();
	char url[3][DEPOSITORY_HOST_MAX + 64];
	int k, rc = 0;

	if (!configs)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	for (k = 0; k < KIND_COUNT && !rc; k++) {
		const char *kind = achievement_kind_name((enum achievement_kind)k);
		json_t *type = NULL;

		if ((rc = registry_sdjwt_type_metadata(d, kind, &type, err)))
			break;
		for (int v = 0; v < 2; v++) {
			enum sdjwt_vct vct = v ? SDJWT_VCT_EU_LEARNING : SDJWT_VCT_OWN;
			char id[64];
			json_t *c;

			if (oid4vci_configuration_id(kind, vct, id, sizeof(id))) {
				rc = ok_fail(err, OK_EINTERNAL, "configuration id too long");
				break;
			}
			c = json_pack("{s:s,s:s,s:[s],s:[s],s:{s:{s:[s,s]}},s:{s:o}}", "format",
			              "dc+sd-jwt", "vct",
			              vct == SDJWT_VCT_EU_LEARNING
			                      ? SDJWT_VCT_EU_LEARNING_URN
			                      : json_string_value(json_object_get(type, "vct")),
			              "cryptographic_binding_methods_supported", "jwk",
			              "credential_signing_alg_values_supported", "ES256",
			              "proof_types_supported", "jwt",
			              "proof_signing_alg_values_supported", "ES256", "EdDSA",
			              "credential_metadata", "display", display_of(type, vct));
			if (c && vct == SDJWT_VCT_OWN)
				json_object_set_new(json_object_get(c, "credential_metadata"),
				                    "claims", claims_of(type));
			if (!c) {
				rc = ok_fail(err, OK_ENOMEM, "out of memory");
				break;
			}
			json_object_set_new(configs, id, c);
		}
		json_decref(type);
	}
	if (!rc && (ok_format(url[0], sizeof(url[0]), "%s/credential", d->base_url) ||
	            ok_format(url[1], sizeof(url[1]), "%s/nonce", d->base_url) ||
	            ok_format(url[2], sizeof(url[2]), "%s/assets/icon.svg", d->base_url)))
		rc = ok_fail(err, OK_ETOOBIG, "the depository's URL is too long");
	if (rc) {
		json_decref(configs);
		return rc;
	}
	doc = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:{s:i},s:o}", "credential_issuer",
	                d->base_url, "credential_endpoint", url[0], "nonce_endpoint", url[1],
	                "display", "name", d->name, "locale", "nl", "name", d->name, "locale", "en",
	                "batch_credential_issuance", "batch_size", OID4VCI_BATCH_MAX,
	                "credential_configurations_supported", configs);
	if (!doc)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	*out = doc;
	return 0;
}

int oid4vci_as_metadata(struct depository *d, json_t **out, struct ok_error *err)
{
	char token[DEPOSITORY_HOST_MAX + 64];
	json_t *doc;

	if (ok_format(token, sizeof(token), "%s/token", d->base_url))
		return ok_fail(err, OK_ETOOBIG, "the depository's URL is too long");
	doc = json_pack("{s:s,s:s,s:[s],s:[],s:[s,s],s:b,s:[s]}", "issuer", d->base_url,
	                "token_endpoint", token, "grant_types_supported", OID4VCI_GRANT_PRE_AUTH,
	                "response_types_supported", "dpop_signing_alg_values_supported", "ES256",
	                "EdDSA", "pre-authorized_grant_anonymous_access_supported", 1,
	                "token_endpoint_auth_methods_supported", "none");
	if (!doc)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	*out = doc;
	return 0;
}
