/* One setting of config.json changed in place, the rest kept as it is: written to a new file
 * beside it and renamed over it, so that a reader sees the old file or the new one. */
#include "depository/depository.h"

#include "core/format.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

int depository_config_set_bool(const char *dir, const char *name, bool value,
                               struct ok_error *err)
{
	struct buf path, tmp;
	json_error_t jerr;
	json_t *config = NULL;
	int fd = -1, rc = 0;

	buf_init(&path, OK_PATH_MAX);
	buf_init(&tmp, OK_PATH_MAX);
	if (ok_path_join(&path, dir, "config.json") || ok_path_join(&tmp, dir, "config.json.new")) {
		rc = ok_fail(err, OK_EINPUT, "the data folder's path is too long");
		goto out;
	}
	config = json_load_file(path.data, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(config)) {
		rc = ok_fail(err, OK_EINPUT, "%s: %s (line %d)", path.data, jerr.text, jerr.line);
		goto out;
	}
	if (json_object_set_new(config, name, json_boolean(value)) != 0) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || json_dumpfd(config, fd, JSON_INDENT(2)) != 0 || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		rc = ok_fail(err, OK_EIO, "cannot write %s", tmp.data);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = ok_fail(err, OK_EIO, "cannot write %s", tmp.data);
		goto out;
	}
	fd = -1;
	if (rename(tmp.data, path.data) != 0)
		rc = ok_fail(err, OK_EIO, "cannot replace %s", path.data);
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp.data);
	json_decref(config);
	buf_release(&path);
	buf_release(&tmp);
	return rc;
}
