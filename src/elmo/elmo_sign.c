/* The XML signature of ELMO documents with libxmlsec1 (OpenSSL back end): signing our own
 * documents, verifying another contact point's against the one certificate registered for it,
 * and the signing key's certificate (made at `oorkonde init`, or installed). */
#include "elmo/elmo_internal.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/templates.h>

#include "core/clock.h"
#include "core/format.h"

/* xmlsec and libxml2 would print their errors; library code never prints, and our callers
 * say what failed in their own words. */
static void quiet_xmlsec(const char *file, int line, const char *func, const char *object,
                         const char *subject, int reason, const char *msg)
{
	(void)file;
	(void)line;
	(void)func;
	(void)object;
	(void)subject;
	(void)reason;
	(void)msg;
}

static void quiet_xml(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int elmo_global_init(struct ok_error *err)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet_xml);
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 ||
	    xmlSecCryptoInit() < 0)
		return ok_fail(err, OK_ECRYPTO, "the XML signature library did not start");
	xmlSecErrorsSetCallback(quiet_xmlsec);
	return 0;
}

void elmo_global_release(void)
{
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xmlCleanupParser();
}

static xmlSecSize sec_size(size_t n)
{
	return (xmlSecSize)n;
}

/* The signature method for key: ECDSA-SHA256 for an EC key, RSA-SHA256 for RSA. */
static xmlSecTransformId method_of(xmlSecKeyPtr key)
{
	xmlSecKeyDataPtr v = xmlSecKeyGetValue(key);

	if (v && xmlSecKeyDataCheckId(v, xmlSecKeyDataEcdsaId))
		return xmlSecTransformEcdsaSha256Id;
	if (v && xmlSecKeyDataCheckId(v, xmlSecKeyDataRsaId))
		return xmlSecTransformRsaSha256Id;
	return NULL;
}

int elmo_sign_doc(xmlDocPtr doc, const char *key_pem, size_t key_len, const char *cert_pem,
                  size_t cert_len, struct ok_error *err)
{
	xmlSecDSigCtxPtr ctx = NULL;
	xmlSecKeyPtr key = NULL;
	xmlNodePtr sig, ref, ki, x509;
	xmlSecTransformId method;
	int rc = 0;

	if (key_len > UINT32_MAX || cert_len > UINT32_MAX)
		return ok_fail(err, OK_ETOOBIG, "the signing key is too large");
	key = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)key_pem, sec_size(key_len),
	                                   xmlSecKeyDataFormatPem, NULL, NULL, NULL);
	if (!key || !(method = method_of(key))) {
		rc = ok_fail_field(err, OK_ECRYPTO, "elmo_key",
		                   "the ELMO signing key does not load (EC P-256 or RSA, PEM)");
		goto out;
	}
	if (xmlSecCryptoAppKeyCertLoadMemory(key, (const xmlSecByte *)cert_pem, sec_size(cert_len),
	                                     xmlSecKeyDataFormatPem) < 0) {
		rc = ok_fail_field(err, OK_ECRYPTO, "elmo_cert",
		                   "the ELMO certificate does not load (PEM)");
		goto out;
	}
	sig = xmlSecTmplSignatureCreate(doc, xmlSecTransformExclC14NId, method, NULL);
	if (!sig || !xmlAddChild(xmlDocGetRootElement(doc), sig)) {
		if (sig)
			xmlFreeNode(sig);
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL, BAD_CAST "",
	                                      NULL);
	ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
	x509 = ki ? xmlSecTmplKeyInfoAddX509Data(ki) : NULL;
	if (!ref || !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ||
	    !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) || !x509 ||
	    !xmlSecTmplX509DataAddCertificate(x509)) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (!(ctx = xmlSecDSigCtxCreate(NULL))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	ctx->signKey = key;
	key = NULL; /* the context owns it now */
	if (xmlSecDSigCtxSign(ctx, sig) < 0)
		rc = ok_fail(err, OK_ECRYPTO, "signing the ELMO document failed");
out:
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	if (key)
		xmlSecKeyDestroy(key);
	return rc;
}

/* The one ds:Signature child of root, or NULL (none, or more than one: *count says). */
static xmlNodePtr find_signature(xmlNodePtr root, size_t *count)
{
	xmlNodePtr n, found = NULL;

	*count = 0;
	for (n = root->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlSecCheckNodeName(n, xmlSecNodeSignature, xmlSecDSigNs)) {
			found = n;
			(*count)++;
		}
	return *count == 1 ? found : NULL;
}

static int enable(xmlSecDSigCtxPtr ctx, bool sha1)
{
	/* Only canonicalisation, the enveloped transform and digests: no XPath, XSLT or
	 * base64 that could leave a part of the document out of what is signed. */
	xmlSecTransformId ref[] = {xmlSecTransformEnvelopedId,
	                           xmlSecTransformExclC14NId,
	                           xmlSecTransformExclC14NWithCommentsId,
	                           xmlSecTransformInclC14NId,
	                           xmlSecTransformInclC14NWithCommentsId,
	                           xmlSecTransformInclC14N11Id,
	                           xmlSecTransformSha256Id,
	                           xmlSecTransformSha1Id};
	xmlSecTransformId sign[] = {
	        xmlSecTransformExclC14NId,    xmlSecTransformExclC14NWithCommentsId,
	        xmlSecTransformInclC14NId,    xmlSecTransformInclC14NWithCommentsId,
	        xmlSecTransformInclC14N11Id,  xmlSecTransformRsaSha256Id,
	        xmlSecTransformEcdsaSha256Id, xmlSecTransformRsaSha1Id};
	size_t i, nref = sizeof(ref) / sizeof(ref[0]), nsign = sizeof(sign) / sizeof(sign[0]);

	if (!sha1) {
		nref--;
		nsign--;
	}
	for (i = 0; i < nref; i++)
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, ref[i]) < 0)
			return -1;
	for (i = 0; i < nsign; i++)
		if (xmlSecDSigCtxEnableSignatureTransform(ctx, sign[i]) < 0)
			return -1;
	return 0;
}

/* Whether the signature uses SHA-1 anywhere (its method or its reference's digest). */
static bool signed_with_sha1(xmlNodePtr sig)
{
	xmlNodePtr si = xmlSecFindChild(sig, xmlSecNodeSignedInfo, xmlSecDSigNs), n, m;
	xmlChar *alg;
	bool sha1 = false;

	for (n = si ? si->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		m = xmlSecCheckNodeName(n, xmlSecNodeReference, xmlSecDSigNs)
		            ? xmlSecFindChild(n, xmlSecNodeDigestMethod, xmlSecDSigNs)
		            : n;
		if (!m || !(xmlSecCheckNodeName(m, xmlSecNodeSignatureMethod, xmlSecDSigNs) ||
		            xmlSecCheckNodeName(m, xmlSecNodeDigestMethod, xmlSecDSigNs)))
			continue;
		alg = xmlGetProp(m, BAD_CAST "Algorithm");
		if (alg && (strstr((const char *)alg, "sha1") || strstr((const char *)alg, "SHA1")))
			sha1 = true;
		xmlFree(alg);
	}
	return sha1;
}

/* A contact point's certificate that has expired (perhaps replaced because its key leaked) is
 * trusted no more: the registry has to be imported again with its successor (E10 of the s7
 * review). A certificate that cannot be read is left to the key load, which refuses it. */
static int check_not_expired(const char *pem, size_t len, struct ok_error *err)
{
	char subject[256], fp[65], day[16];
	int64_t until;
	time_t t;
	struct tm tm;

	if (elmo_cert_describe(pem, len, subject, fp, &until, NULL) != 0 || until >= ok_now_ms())
		return 0;
	t = (time_t)(until / 1000);
	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d", &tm))
		OK_COPY_ARRAY(day, "?");
	return ok_fail_field(err, OK_EINVALID, "signature",
	                     "the contact point's registered certificate expired on %s", day);
}

int elmo_verify_doc(xmlDocPtr doc, const struct elmo_import_options *o,
                    struct elmo_signature_info *info, struct ok_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), sig;
	xmlSecDSigReferenceCtxPtr ref;
	xmlSecDSigCtxPtr ctx = NULL;
	size_t count;
	bool sha1;
	int rc = 0;

	if (!root || !(sig = find_signature(root, &count)))
		return ok_fail_field(
		        err, OK_EINVALID, "signature",
		        root && count > 1 ? "the document has more than one signature"
		                          : "the document is not signed (no enveloped signature)");
	sha1 = signed_with_sha1(sig);
	if (sha1 && !o->accept_sha1)
		return ok_fail_field(
		        err, OK_EINVALID, "signature",
		        "signed with SHA-1, which is not accepted from this contact point");
	if (!o->cert_pem || o->cert_len == 0 || o->cert_len > UINT32_MAX)
		return ok_fail_field(err, OK_EINVALID, "signature",
		                     "no certificate is registered for this contact point");
	if ((rc = check_not_expired(o->cert_pem, o->cert_len, err)))
		return rc;
	if (!(ctx = xmlSecDSigCtxCreate(NULL)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	/* The registered certificate's key and no other: KeyInfo is not read at all. */
	ctx->signKey =
	        xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)o->cert_pem, sec_size(o->cert_len),
	                                     xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
	if (!ctx->signKey) {
		rc = ok_fail_field(err, OK_EINVALID, "signature",
		                   "the contact point's registered certificate does not load");
		goto out;
	}
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	if (enable(ctx, o->accept_sha1) < 0) {
		rc = ok_fail(err, OK_ECRYPTO, "the XML signature library refused its settings");
		goto out;
	}
	if (xmlSecDSigCtxVerify(ctx, sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
		rc = ok_fail_field(err, OK_EINVALID, "signature",
		                   "the signature does not verify with the contact point's "
		                   "certificate (altered after signing, another key, or an "
		                   "algorithm not accepted)");
		goto out;
	}
	/* One reference, to the whole document (URI=""): nothing is left out of what is signed. */
	ref = xmlSecPtrListGetSize(&ctx->signedInfoReferences) == 1
	              ? xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0)
	              : NULL;
	if (!ref || !ref->uri || ref->uri[0] != '\0') {
		rc = ok_fail_field(err, OK_EINVALID, "signature",
		                   "the signature does not cover the whole document");
		goto out;
	}
	info->sha1 = sha1;
	if (ctx->signMethod && ctx->signMethod->id == xmlSecTransformEcdsaSha256Id)
		OK_COPY_ARRAY(info->method, "ecdsa-sha256");
	else if (ctx->signMethod && ctx->signMethod->id == xmlSecTransformRsaSha1Id)
		OK_COPY_ARRAY(info->method, "rsa-sha1");
	else
		OK_COPY_ARRAY(info->method, "rsa-sha256");
out:
	xmlSecDSigCtxDestroy(ctx);
	return rc;
}

/* Keys and certificates */

static int bio_to_buf(BIO *bio, struct buf *out)
{
	char *p;
	long n = BIO_get_mem_data(bio, &p);

	return n > 0 ? buf_add(out, p, (size_t)n) : OK_ECRYPTO;
}

int elmo_keygen(const char *common_name, int days, struct buf *key_pem, struct buf *cert_pem,
                struct ok_error *err)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	int rc = 0;

	if (!pkey || !x || !kb || !cb || RAND_bytes(serial, sizeof(serial)) != 1) {
		rc = ok_fail(err, OK_ECRYPTO, "could not make the ELMO signing key");
		goto out;
	}
	serial[0] &= 0x7F; /* a positive serial number */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	name = X509_get_subject_name(x);
	if (!sn || X509_set_version(x, 2) != 1 || X509_set_serialNumber(x, sn) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                               (const unsigned char *)common_name, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, pkey) != 1 ||
	    X509_sign(x, pkey, EVP_sha256()) <= 0 ||
	    PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, x) != 1) {
		rc = ok_fail(err, OK_ECRYPTO, "could not make the ELMO certificate");
		goto out;
	}
	if (bio_to_buf(kb, key_pem) || bio_to_buf(cb, cert_pem))
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
out:
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	BIO_free(kb); /* BIO_s_mem frees (not wipes) its memory; the PEM went to key_pem */
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

static X509 *load_cert(const char *pem, size_t len)
{
	BIO *b = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

int elmo_key_check(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
                   struct ok_error *err)
{
	BIO *b = key_len <= INT32_MAX ? BIO_new_mem_buf(key_pem, (int)key_len) : NULL;
	EVP_PKEY *pkey = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	X509 *x = load_cert(cert_pem, cert_len);
	int rc = 0, id;

	if (!pkey)
		rc = ok_fail_field(err, OK_EINPUT, "key",
		                   "not a PEM private key (unencrypted PKCS#8 or traditional)");
	else if (!x)
		rc = ok_fail_field(err, OK_EINPUT, "certificate", "not a PEM X.509 certificate");
	else if ((id = EVP_PKEY_get_base_id(pkey)) != EVP_PKEY_EC && id != EVP_PKEY_RSA)
		rc = ok_fail_field(err, OK_EINPUT, "key", "the key must be EC (P-256) or RSA");
	else if (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) < 2048)
		rc = ok_fail_field(err, OK_EINPUT, "key", "an RSA key must have 2048 bits or more");
	else if (X509_check_private_key(x, pkey) != 1)
		rc = ok_fail_field(err, OK_EINPUT, "key", "the key is not the certificate's key");
	EVP_PKEY_free(pkey);
	X509_free(x);
	BIO_free(b);
	return rc;
}

int elmo_cert_describe(const char *cert_pem, size_t cert_len, char subject[256],
                       char fingerprint[65], int64_t *not_after_ms, struct ok_error *err)
{
	X509 *x = load_cert(cert_pem, cert_len);
	unsigned char md[32];
	unsigned int n = 0;
	struct tm tm;
	size_t i;

	if (!x)
		return ok_fail_field(err, OK_EINPUT, "certificate", "not a PEM X.509 certificate");
	X509_NAME_oneline(X509_get_subject_name(x), subject, 256);
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) {
		X509_free(x);
		return ok_fail(err, OK_ECRYPTO, "could not hash the certificate");
	}
	for (i = 0; i < 32; i++)
		snprintf(fingerprint + 2 * i, 3, "%02x", md[i]);
	*not_after_ms = 0;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		*not_after_ms = (int64_t)timegm(&tm) * 1000;
	X509_free(x);
	return 0;
}
