/* config.json read once for a section of it (see config_file.h). */
#include "io/config_file.h"

#include "core/buf.h"
#include "core/format.h"

int io_config_load(const char *dir, json_t **config, struct ok_error *err)
{
	struct buf path;
	json_error_t jerr;

	*config = NULL;
	buf_init(&path, OK_PATH_MAX);
	if (ok_path_join(&path, dir, "config.json")) {
		buf_release(&path);
		return ok_fail(err, OK_EINPUT, "the data folder's path is too long");
	}
	*config = json_load_file(path.data, JSON_REJECT_DUPLICATES, &jerr);
	buf_release(&path);
	if (!*config)
		return ok_fail(err, OK_EINPUT, "config.json: %s (line %d)", jerr.text, jerr.line);
	return 0;
}
