/* libFuzzer target for what an OpenID provider and the operator send oorkonde: the discovery
 * document (oidc_metadata_parse), the key set and a key chosen from it (oidc_jwks_parse,
 * oidc_jwks_key), an ID token checked against a fixed key set (oidc_id_token_check) and the
 * config.json "oidc" object (oidc_config_parse), and a national id claim read by each scheme
 * (oidc_scheme_read). The first byte picks the parser. Each fails
 * cleanly with a message or accepts; none reads past its input (ASan). */
#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remote/oidc.h"

/* An EC P-256 key (RFC 7515 A.3's) as the provider's only key. */
static const char JWKS[] =
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\","
        "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";

static void provider(struct oidc_provider *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->id, "nl");
	strcpy(p->issuer, "https://id.example.nl");
	strcpy(p->client_id, "oorkonde");
	strcpy(p->claim, "bsn");
	strcpy(p->acr_values, "urn:digid:substantial urn:digid:high");
	strcpy(p->endpoint_hosts, "keys.example.nl");
	p->scheme = OIDC_SCHEME_NL_BSN;
	strcpy(p->scheme_country, "NL");
	p->algs_allowed = JOSE_ALG_ES256 | JOSE_ALG_EDDSA | JOSE_ALG_RS256 | JOSE_ALG_PS256;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oidc_provider p;
	struct ok_error err;
	char *text;

	if (size < 1 || sodium_init() < 0)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	provider(&p);
	switch (data[0] % 5) {
	case 0: {
		struct oidc_metadata m;
		oidc_metadata_parse(text, size - 1, &p, &m, &err);
		break;
	}
	case 1: {
		json_t *jwks = NULL;
		struct jose_jwk key;
		if (oidc_jwks_parse(text, size - 1, &jwks, &err) == 0) {
			if (oidc_jwks_key(jwks, "k1", JOSE_ALG_ES256, &key, &err) == 0)
				jose_jwk_release(&key);
			if (oidc_jwks_key(jwks, NULL, JOSE_ALG_RS256, &key, &err) == 0)
				jose_jwk_release(&key);
		}
		json_decref(jwks);
		break;
	}
	case 2: {
		json_t *jwks = NULL;
		struct oidc_identity who;
		if (oidc_jwks_parse(JWKS, sizeof(JWKS) - 1, &jwks, &err) != 0)
			abort();
		oidc_id_token_check(&p, JOSE_ALG_ES256 | JOSE_ALG_RS256, jwks, text, "nonce",
		                    1700000000000, &who, &err);
		json_decref(jwks);
		break;
	}
	case 4: {
		struct oidc_identity who;
		struct oidc_provider q;
		oidc_scheme_read(&p, text, strlen(text), &who, &err);
		provider(&q);
		if (oidc_scheme_parse(&q, "eIDAS", NULL, "BE,DE", &err) == 0)
			oidc_scheme_read(&q, text, strlen(text), &who, &err);
		provider(&q);
		if (oidc_scheme_parse(&q, "BE:RRN", NULL, NULL, &err) == 0)
			oidc_scheme_read(&q, text, strlen(text), &who, &err);
		provider(&q);
		if (oidc_scheme_parse(&q, "NO:FNR", "[0-9]{11}", NULL, &err) == 0) {
			oidc_scheme_read(&q, text, strlen(text), &who, &err);
			regfree(&q.pattern);
		}
		break;
	}
	default: {
		json_error_t jerr;
		json_t *o = json_loadb(text, size - 1, JSON_REJECT_DUPLICATES, &jerr);
		struct oidc_rp rp;
		if (o)
			oidc_config_parse(o, &rp, &err);
		else
			memset(&rp, 0, sizeof(rp));
		oidc_rp_release(&rp);
		json_decref(o);
		break;
	}
	}
	free(text);
	return 0;
}
