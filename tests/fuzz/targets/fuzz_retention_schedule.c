/* libFuzzer target for the retention schedule of config.json (retention_schedule_parse): any
 * bytes give a schedule or OK_EINPUT, and an accepted schedule keeps diplomas permanent and
 * every class on a trigger it has. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "retention/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct retention_schedule s;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = retention_schedule_parse(&s, (const char *)data, size, "config.json", &err);
	if (rc != 0 && rc != OK_EINPUT)
		abort();
	if (rc == 0) {
		if (!s.rule[RETENTION_DIPLOMA].permanent)
			abort();
		for (int c = 0; c < RETENTION_CLASS_COUNT; c++)
			if (!retention_trigger_allowed((enum retention_class)c, s.rule[c].trigger))
				abort();
	}
	return 0;
}
