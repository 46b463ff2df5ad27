/* libFuzzer target for the Accept-Language rule of the pages (web_lang_from_accept): any header
 * value gives "nl" or "en", and "en" whenever the value names no "nl" at all. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	const char *lang;
	bool has_nl = false;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	lang = web_lang_from_accept(text);
	if (strcmp(lang, "nl") != 0 && strcmp(lang, "en") != 0)
		abort();
	for (size_t i = 0; text[i] && text[i + 1]; i++)
		if (strncasecmp(text + i, "nl", 2) == 0)
			has_nl = true;
	if (!has_nl && strcmp(lang, "en") != 0)
		abort();
	free(text);
	return 0;
}
