/* libFuzzer target for the answer of POST /credentials/verify written without jansson
 * (http/verify_report.h), differential against the jansson report it replaced: the first byte
 * chooses the verdict (which checks ran, which passed, a warning, not a credential; messages
 * hold up to 12 bytes of the input, maybe cut inside a character), the rest is
 * a credential read by vc_jcs_parse_tree. http_verify_report_write reading the tree must give
 * the bytes of http_json_write(verify_report_json(r)) on the tree's jansson copy (every number a
 * real, as the verifier's copy); neither may fail. Both read the holder and achievement with
 * the one reader (vc/ob_facts.h), on the two views of the same document. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json_tree.h"
#include "http/json_out.h"
#include "http/verify_report.h"
#include "registry/verify_summary.h"
#include "vc/jcs.h"

static void add(struct verify_result *r, enum verify_check c, bool passed, bool warning,
                const char *message)
{
	struct verify_item *it = &r->items[r->count++];

	it->check = c;
	it->passed = passed;
	it->warning = warning;
	snprintf(it->message, sizeof(it->message), "%s", message);
}

/* Up to 12 bytes of the input after s: a cut may end inside a character (not UTF-8). */
static void add_raw(char *s, size_t cap, const uint8_t *data, size_t size)
{
	size_t n = strlen(s), k = size < 12 ? size : 12;

	if (n + k < cap) {
		memcpy(s + n, data, k);
		s[n + k] = '\0';
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum verify_check checks[] = {VERIFY_PROOF, VERIFY_VALIDITY, VERIFY_STATUS,
	                                           VERIFY_ISSUER};
	struct verify_result r;
	struct ok_error err;
	struct json_tree t;
	struct buf want, got;
	json_t *copy = NULL, *doc;
	uint32_t root;
	unsigned flags;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0];
	json_tree_init(&t);
	if (vc_jcs_parse_tree((const char *)data + 1, size - 1, &t, &root, &err) != 0 ||
	    json_tree_to_jansson_flags(&t, root, JSON_TREE_TO_REALS, &copy, &err) != 0) {
		json_tree_release(&t);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.is_credential = !(flags & 0x80);
	if (!r.is_credential) {
		snprintf(r.not_credential, sizeof(r.not_credential), "not a credential: ");
		add_raw(r.not_credential, sizeof(r.not_credential), data + 1, size - 1);
		r.rule = flags & 0x40 ? "type.defined" : NULL;
	} else {
		for (size_t i = 0; i < 4; i++)
			if (flags & (1u << i)) {
				add(&r, checks[i], !(flags & (0x10u << (i & 1))),
				    i == 3 && (flags & 0x40),
				    i == 2 ? "The credential has been revoked by its issuer"
				           : "x \"y\" ");
				if (i != 2)
					add_raw(r.items[r.count - 1].message, VERIFY_MESSAGE_MAX,
					        data + 1, size - 1);
			}
		r.verified = true;
		for (size_t i = 0; i < r.count; i++)
			r.verified = r.verified && r.items[i].passed;
	}
	buf_init(&want, 0);
	buf_init(&got, 0);
	/* The old report, on the jansson copy. */
	r.credential = r.is_credential ? copy : NULL;
	doc = verify_report_json(NULL, &r);
	if (doc && http_json_write(&want, doc) != 0)
		abort(); /* verify_report_json builds only what json_out writes */
	json_decref(doc);
	/* The new one, on the tree, as route_vc_verify asks for it. */
	r.credential = NULL;
	rc = http_verify_report_write(&got, NULL, &r,
	                              r.is_credential ? vc_dmv_tree(&t, root) : vc_dmv_json(NULL));
	/* Every credential has a report (texts the report cuts are cut between characters). */
	if (!doc || rc)
		abort();
	if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0) {
		fprintf(stderr, "jansson: %s\nwriter:  %s\n", want.data, got.data);
		abort();
	}
	buf_release(&want);
	buf_release(&got);
	json_decref(copy);
	json_tree_release(&t);
	return 0;
}
