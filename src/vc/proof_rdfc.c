/* The eddsa-rdfc-2022 transformation: a JSON-LD document becomes the canonical N-Quads that the
 * cryptosuite hashes (JSON-LD toRdf over the pinned contexts, then RDFC-1.0). Kept apart from
 * proof.c, which is the same for both suites but for this step. */
#include "vc/proof.h"

#include "vc/jsonld.h"
#include "vc/rdfc.h"

int vc_proof_rdfc_canonicalize(const json_t *doc, struct buf *out, struct ok_error *err)
{
	struct vc_rdfc_limits limits;
	struct buf quads;
	int rc;

	/* Strict toRdf: a term the contexts do not define fails instead of being dropped, so a
	 * signature never covers less than the JSON shows. */
	buf_init(&quads, out->max);
	rc = vc_jsonld_to_nquads(doc, NULL, &quads, err);
	if (!rc) {
		vc_rdfc_limits_default(&limits);
		rc = vc_rdfc_canonicalize(quads.data, quads.len, &limits, out, err);
	}
	buf_release(&quads);
	return rc;
}
