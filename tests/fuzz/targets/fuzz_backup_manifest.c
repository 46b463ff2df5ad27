/* libFuzzer target for the backup manifest reader (a backup folder may have been written by
 * anyone): a manifest either is refused, or reads to one whose time has no byte that could
 * reach a terminal unfiltered and whose canonical (signed) text can always be formed, the same
 * each time. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backup_manifest m, again;
	struct ok_error err;
	char canon[2048], canon2[2048];
	size_t n, n2;

	ok_error_clear(&err);
	if (backup_manifest_parse((const char *)data, size, &m, &err) != 0) {
		/* A refusal always says why. */
		if (!err.message[0])
			abort();
		return 0;
	}
	if (strnlen(m.info.at, sizeof(m.info.at)) >= sizeof(m.info.at) ||
	    m.info.schema_version < 1 || m.info.audit_seq < 0 || !m.files[BACKUP_FILE_DB].listed ||
	    !m.files[BACKUP_FILE_CONFIG].listed)
		abort();
	n = backup_manifest_canonical(&m, canon, sizeof(canon));
	if (n == 0 || n >= sizeof(canon) || strlen(canon) != n)
		abort();
	if (backup_manifest_parse((const char *)data, size, &again, &err) != 0)
		abort();
	n2 = backup_manifest_canonical(&again, canon2, sizeof(canon2));
	if (n2 != n || memcmp(canon, canon2, n) != 0)
		abort();
	return 0;
}
