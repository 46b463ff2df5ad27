/* did:key and did:web identifiers and DID documents for an Ed25519 key. */
#include "vc/did.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DID_KEY_PREFIX "did:key:"
#define DID_WEB_PREFIX "did:web:"

static int copy_out(struct buf *b, char out[VC_DID_MAX], struct ok_error *err)
{
	if (b->len >= VC_DID_MAX)
		return ok_fail(err, OK_ETOOBIG, "identifier longer than %d bytes", VC_DID_MAX - 1);
	memcpy(out, b->data, b->len + 1);
	return 0;
}

static int add(struct buf *b, const char *s, size_t n, struct ok_error *err)
{
	int rc = buf_add(b, s, n);

	if (rc == OK_ETOOBIG)
		return ok_fail(err, rc, "identifier longer than %d bytes", VC_DID_MAX - 1);
	if (rc)
		return ok_fail(err, rc, "out of memory");
	return 0;
}

/* did:key */

int vc_did_key(const uint8_t pk[VC_ED25519_PUB_BYTES], char did[VC_DID_MAX], struct ok_error *err)
{
	char mk[VC_MULTIKEY_MAX];
	int rc = vc_multikey_encode_ed25519_pub(pk, mk, err);

	if (rc)
		return rc;
	memcpy(did, DID_KEY_PREFIX, strlen(DID_KEY_PREFIX));
	memcpy(did + strlen(DID_KEY_PREFIX), mk, strlen(mk) + 1);
	return 0;
}

int vc_did_key_vm(const uint8_t pk[VC_ED25519_PUB_BYTES], char vm[VC_DID_MAX], struct ok_error *err)
{
	char mk[VC_MULTIKEY_MAX];
	size_t n, o;
	int rc = vc_multikey_encode_ed25519_pub(pk, mk, err);

	if (rc)
		return rc;
	n = strlen(mk);
	o = strlen(DID_KEY_PREFIX);
	memcpy(vm, DID_KEY_PREFIX, o);
	memcpy(vm + o, mk, n);
	o += n;
	vm[o++] = '#';
	memcpy(vm + o, mk, n + 1);
	return 0;
}

int vc_did_key_vm_to_pub(const char *vm, uint8_t pk[VC_ED25519_PUB_BYTES], struct ok_error *err)
{
	char id[VC_MULTIKEY_MAX];
	const char *p, *hash;
	size_t n;

	if (!vm)
		return ok_fail(err, OK_EINPUT, "missing verification method");
	if (strncmp(vm, DID_KEY_PREFIX, strlen(DID_KEY_PREFIX)) != 0)
		return ok_fail(err, OK_EINPUT, "verification method is not a did:key");
	p = vm + strlen(DID_KEY_PREFIX);
	hash = strchr(p, '#');
	n = hash ? (size_t)(hash - p) : strlen(p);
	if (n == 0 || n >= sizeof(id))
		return ok_fail(err, OK_EINPUT, "did:key identifier has a wrong length");
	memcpy(id, p, n);
	id[n] = '\0';
	if (hash && strcmp(hash + 1, id) != 0)
		return ok_fail(err, OK_EINPUT,
		               "did:key verification method fragment differs from its key");
	return vc_multikey_decode_ed25519_pub(id, pk, err);
}

/* did:web */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool valid_dns_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return false;
		if (s[i] == '.' && (s[i + 1] == '.' || s[i + 1] == '-' || s[i - 1] == '-'))
			return false;
	}
	return true;
}

static bool valid_port(const char *s, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5 || s[0] == '0')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

static bool valid_segment(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_alnum(s[i]) && !strchr("-._~", s[i]))
			return false;
	}
	/* "." and ".." would climb the URL path. */
	return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

/* Appends the method-specific id of did:web for host ("name[:port][/path]") to b. */
static int web_id(const char *host, struct buf *b, struct ok_error *err)
{
	const char *slash, *colon, *seg, *end;
	size_t name_len, i;
	char c;
	int rc;

	if (!host || !*host)
		return ok_fail(err, OK_EINPUT, "missing host for did:web");
	slash = strchr(host, '/');
	end = slash ? slash : host + strlen(host);
	colon = memchr(host, ':', (size_t)(end - host));
	name_len = (size_t)((colon ? colon : end) - host);
	if (!valid_dns_name(host, name_len))
		return ok_fail(err, OK_EINPUT, "did:web host is not a valid DNS name");
	if (colon && !valid_port(colon + 1, (size_t)(end - colon - 1)))
		return ok_fail(err, OK_EINPUT, "did:web port must be a number from 1 to 65535");
	for (i = 0; i < name_len; i++) {
		c = host[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		rc = add(b, &c, 1, err);
		if (rc)
			return rc;
	}
	if (colon) {
		rc = add(b, "%3A", 3, err);
		if (!rc)
			rc = add(b, colon + 1, (size_t)(end - colon - 1), err);
		if (rc)
			return rc;
	}
	while (slash && slash[1]) {
		seg = slash + 1;
		slash = strchr(seg, '/');
		end = slash ? slash : seg + strlen(seg);
		if (!valid_segment(seg, (size_t)(end - seg)))
			return ok_fail(err, OK_EINPUT, "did:web path segment is not valid");
		rc = add(b, ":", 1, err);
		if (!rc)
			rc = add(b, seg, (size_t)(end - seg), err);
		if (rc)
			return rc;
	}
	return 0;
}

int vc_did_web(const char *host, char did[VC_DID_MAX], struct ok_error *err)
{
	struct buf b;
	int rc;

	buf_init(&b, VC_DID_MAX);
	rc = add(&b, DID_WEB_PREFIX, strlen(DID_WEB_PREFIX), err);
	if (!rc)
		rc = web_id(host, &b, err);
	if (!rc)
		rc = copy_out(&b, did, err);
	buf_release(&b);
	return rc;
}

int vc_did_web_vm(const char *host, char vm[VC_DID_MAX], struct ok_error *err)
{
	struct buf b;
	int rc;

	buf_init(&b, VC_DID_MAX);
	rc = add(&b, DID_WEB_PREFIX, strlen(DID_WEB_PREFIX), err);
	if (!rc)
		rc = web_id(host, &b, err);
	if (!rc)
		rc = add(&b, "#" VC_DID_WEB_KEY_FRAGMENT, strlen("#" VC_DID_WEB_KEY_FRAGMENT), err);
	if (!rc)
		rc = copy_out(&b, vm, err);
	buf_release(&b);
	return rc;
}

int vc_did_web_url(const char *did, struct buf *url, struct ok_error *err)
{
	const char *id, *end, *pct, *seg, *next;
	size_t start = url->len, name_len;
	bool has_path;
	int rc;

	if (!did || strncmp(did, DID_WEB_PREFIX, strlen(DID_WEB_PREFIX)) != 0)
		return ok_fail(err, OK_EINPUT, "not a did:web");
	id = did + strlen(DID_WEB_PREFIX);
	end = strchr(id, ':');
	if (!end)
		end = id + strlen(id);
	pct = strstr(id, "%3A");
	if (pct && pct > end)
		pct = NULL;
	if (!pct) {
		pct = strstr(id, "%3a");
		if (pct && pct > end)
			pct = NULL;
	}
	name_len = (size_t)((pct ? pct : end) - id);
	if (!valid_dns_name(id, name_len))
		return ok_fail(err, OK_EINPUT, "did:web host is not a valid DNS name");
	if (pct && !valid_port(pct + 3, (size_t)(end - pct - 3)))
		return ok_fail(err, OK_EINPUT, "did:web port must be a number from 1 to 65535");
	rc = buf_addstr(url, "https://");
	if (!rc)
		rc = buf_add(url, id, name_len);
	if (!rc && pct) {
		rc = buf_addch(url, ':');
		if (!rc)
			rc = buf_add(url, pct + 3, (size_t)(end - pct - 3));
	}
	has_path = *end == ':';
	for (seg = end; !rc && *seg == ':'; seg = next) {
		seg++;
		next = strchr(seg, ':');
		if (!next)
			next = seg + strlen(seg);
		if (!valid_segment(seg, (size_t)(next - seg))) {
			buf_truncate(url, start);
			return ok_fail(err, OK_EINPUT, "did:web path segment is not valid");
		}
		rc = buf_addch(url, '/');
		if (!rc)
			rc = buf_add(url, seg, (size_t)(next - seg));
	}
	if (!rc)
		rc = buf_addstr(url, has_path ? "/did.json" : "/.well-known/did.json");
	if (rc) {
		buf_truncate(url, start);
		return ok_fail(err, rc, "URL of the DID document does not fit");
	}
	return 0;
}

/* Verification methods and DID documents */

int vc_did_of_vm(const char *vm, char did[VC_DID_MAX], struct ok_error *err)
{
	const char *hash;
	size_t n;

	if (!vm || strncmp(vm, "did:", 4) != 0)
		return ok_fail(err, OK_EINPUT, "verification method is not a DID URL");
	hash = strchr(vm, '#');
	n = hash ? (size_t)(hash - vm) : strlen(vm);
	if (n >= VC_DID_MAX)
		return ok_fail(err, OK_EINPUT, "DID longer than %d bytes", VC_DID_MAX - 1);
	memcpy(did, vm, n);
	did[n] = '\0';
	return 0;
}

int vc_did_document(const char *did, const char *vm_id, const uint8_t pk[VC_ED25519_PUB_BYTES],
                    json_t **out, struct ok_error *err)
{
	char mk[VC_MULTIKEY_MAX];
	json_t *doc;
	int rc;

	*out = NULL;
	if (!did || !vm_id)
		return ok_fail(err, OK_EINPUT, "missing DID or verification method id");
	rc = vc_multikey_encode_ed25519_pub(pk, mk, err);
	if (rc)
		return rc;
	doc = json_pack("{s:[s,s],s:s,s:[{s:s,s:s,s:s,s:s}],s:[s],s:[s]}", "@context",
	                "https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
	                "id", did, "verificationMethod", "id", vm_id, "type", "Multikey",
	                "controller", did, "publicKeyMultibase", mk, "authentication", vm_id,
	                "assertionMethod", vm_id);
	if (!doc)
		return ok_fail(err, OK_EINPUT, "cannot build the DID document (invalid UTF-8?)");
	*out = doc;
	return 0;
}

int vc_did_document_key(const uint8_t pk[VC_ED25519_PUB_BYTES], json_t **out, struct ok_error *err)
{
	char did[VC_DID_MAX], vm[VC_DID_MAX];
	int rc;

	*out = NULL;
	rc = vc_did_key(pk, did, err);
	if (!rc)
		rc = vc_did_key_vm(pk, vm, err);
	if (!rc)
		rc = vc_did_document(did, vm, pk, out, err);
	return rc;
}

int vc_did_document_web(const char *host, const uint8_t pk[VC_ED25519_PUB_BYTES], json_t **out,
                        struct ok_error *err)
{
	char did[VC_DID_MAX], vm[VC_DID_MAX];
	int rc;

	*out = NULL;
	rc = vc_did_web(host, did, err);
	if (!rc)
		rc = vc_did_web_vm(host, vm, err);
	if (!rc)
		rc = vc_did_document(did, vm, pk, out, err);
	return rc;
}
