/* libFuzzer target for the checkpoint line parser (the audit-checkpoints file may have been
 * altered by anyone who can write the data folder): a line either fails to parse, or parses to
 * a checkpoint that is written back as exactly the same line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_checkpoint c;
	char line[AUDIT_CHECKPOINT_LINE_MAX];
	size_t n, body = size;

	if (audit_checkpoint_parse((const char *)data, size, &c) != 0)
		return 0;
	if (c.seq < 1)
		abort();
	n = audit_checkpoint_format(&c, line, sizeof(line));
	if (body && data[body - 1] == '\n')
		body--;
	/* The same line, its newline aside. */
	if (n != body + 1 || memcmp(line, data, body) != 0 || line[n - 1] != '\n')
		abort();
	/* Verifying a parsed line never crashes, whatever its bytes. */
	(void)audit_checkpoint_valid(&c);
	return 0;
}
