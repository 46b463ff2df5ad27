/* libFuzzer target for the two VC-API status bodies (registry/vc_status.h): any JSON is read as
 * options.credentialStatus of an issue request and as a status update; the answer is 0 with a
 * meaningful result, or OK_EINPUT with a message, never a crash or a leak. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/vc_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_status_request req;
	enum status_action action;
	struct ok_error err;
	const char *id = NULL;
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	                         NULL);
	int rc;

	if (!doc)
		return 0;
	ok_error_clear(&err);
	rc = vc_status_request_parse(doc, &req, &err);
	if (rc == 0 && !req.revocation && !req.suspension)
		abort(); /* an accepted request asks for at least one entry */
	if (rc != 0 && (rc != OK_EINPUT || !err.message[0]))
		abort();
	ok_error_clear(&err);
	rc = vc_status_update_parse(doc, &id, &action, &err);
	if (rc == 0 &&
	    (!id || !id[0] || strlen(id) > STORE_VC_ID_MAX ||
	     (action != STATUS_REVOKE && action != STATUS_SUSPEND && action != STATUS_REINSTATE)))
		abort();
	if (rc != 0 && (rc != OK_EINPUT || !err.message[0]))
		abort();
	json_decref(doc);
	return 0;
}
