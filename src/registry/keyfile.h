/* Key files of the data folder: one key per line as "ID HEX", the last line is the current key.
 * Files are created with mode 0600 and written atomically (temporary file, fsync, rename). */
#ifndef OK_REGISTRY_KEYFILE_H
#define OK_REGISTRY_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Creates path holding one new random 32-byte key with id 1; OK_EEXIST if path exists. */
int keyfile_create(const char *path, struct ok_error *err);

/* Reads the current (last) key of path. */
int keyfile_read(const char *path, uint32_t *id, unsigned char key[32], struct ok_error *err);

/* Writes data to path atomically with the given mode; OK_EEXIST if exclusive and path exists. */
int file_write_atomic(const char *path, const void *data, size_t n, unsigned mode, int exclusive,
                      struct ok_error *err);

#endif
