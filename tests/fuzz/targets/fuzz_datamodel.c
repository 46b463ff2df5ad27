/* libFuzzer target for the VC 2.0 data-model rules (vc_datamodel_check): any bytes the strict
 * credential parser accepts are checked; the answer is 0 or OK_EINPUT naming a known rule with
 * a message, never a crash, a leak or a rule outside the table. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc/datamodel.h"
#include "vc/jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_dm_failure f;
	json_t *doc = NULL;
	int rc;

	if (vc_jcs_parse((const char *)data, size, 0, &doc, NULL) != 0)
		return 0;
	rc = vc_datamodel_check(doc, NULL, &f);
	if (rc != 0 && (rc != OK_EINPUT || !vc_datamodel_rule_known(f.rule) || !f.message[0] ||
	                !memchr(f.message, '\0', sizeof(f.message))))
		abort();
	if (rc == 0 && f.rule)
		abort();
	json_decref(doc);
	return 0;
}
