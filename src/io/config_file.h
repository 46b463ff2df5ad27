/* Reading the data folder's config.json for the parts that each read their own section at server
 * start (the OpenID providers, the wallet sign-in): one place that finds the file, refuses
 * duplicate keys and names the line of a syntax error. */
#ifndef OK_IO_CONFIG_FILE_H
#define OK_IO_CONFIG_FILE_H

#include <jansson.h>

#include "core/error.h"

/*
 * Reads DIR/config.json: *config gets the whole document (a new reference, the caller's to
 * json_decref), or NULL on failure. OK_EINPUT for a path too long, a file that cannot be read,
 * or JSON that is not valid or repeats a key (the message names the line).
 */
int io_config_load(const char *dir, json_t **config, struct ok_error *err);

#endif
