/* libFuzzer target for the share-creation body (POST /v1/me/shares): the bytes are read as
 * http_body_json reads them and turned into a checked request by portal_share_request, the code
 * portal_share_create_json runs before the store. An accepted request holds 1..max distinct
 * achievement ids, a recipient of valid UTF-8 and 1..365 days. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/utf8.h"
#include "portal/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ids[PORTAL_SHARE_ACHIEVEMENTS];
	struct portal_share_input in;
	struct ok_error err;
	json_t *body;
	int rc;

	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body)
		return 0;
	ok_error_clear(&err);
	rc = portal_share_request(body, "learner-1", "learner:learner-1", ids, &in, &err);
	if (rc != 0) {
		if (rc != OK_EINPUT || !err.message[0])
			abort();
	} else {
		if (in.n < 1 || in.n > PORTAL_SHARE_ACHIEVEMENTS || in.days < 1 ||
		    in.days > PORTAL_SHARE_DAYS_MAX || !in.recipient || !in.recipient[0] ||
		    !utf8_valid(in.recipient, strlen(in.recipient)) ||
		    strcmp(in.learner_id, "learner-1") != 0)
			abort();
		for (size_t i = 0; i < in.n; i++)
			for (size_t j = 0; j < i; j++)
				if (strcmp(in.achievements[i], in.achievements[j]) == 0)
					abort();
	}
	json_decref(body);
	return 0;
}
