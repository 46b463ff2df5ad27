/* libFuzzer target for content negotiation (http_negotiate): any Accept value picks one of the
 * offers, and a value that names none of them and has no wildcard picks the default. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const offers[] = {"application/json", "application/vc",
	                                     "application/vc+jwt"};
	char *text = malloc(size + 1);
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	i = http_negotiate(text, offers, 3);
	if (i >= 3)
		abort();
	if (i != 0 && !strchr(text, '/'))
		abort();
	free(text);
	return 0;
}
