/* The one error convention of oorkonde: codes, messages and the location of bad input.
 *
 * Invariants:
 * - A function that can fail returns int: 0 on success, a negative OK_E… code on failure.
 * - Where a user needs detail it also fills a caller-provided struct ok_error, which may be NULL.
 * - The message never holds personal data or secrets: it names fields, never their values.
 */
#ifndef OK_CORE_ERROR_H
#define OK_CORE_ERROR_H

#include <stddef.h>

/* X(name, value, default message) */
#define OK_ERROR_CODES(X)                                       \
	X(OK_EINPUT, -1, "invalid input")                       \
	X(OK_ENOMEM, -2, "out of memory")                       \
	X(OK_EIO, -3, "input/output error")                     \
	X(OK_ENOTFOUND, -4, "not found")                        \
	X(OK_EEXIST, -5, "already exists")                      \
	X(OK_ETOOBIG, -6, "too large")                          \
	X(OK_ESTORE, -7, "store error")                         \
	X(OK_ECRYPTO, -8, "cryptographic failure")              \
	X(OK_EAUTH, -9, "not authorised")                       \
	X(OK_ECONFLICT, -10, "conflict with the current state") \
	X(OK_EINVALID, -11, "verification failed")              \
	X(OK_EUNSUPPORTED, -12, "not supported")                \
	X(OK_EDISKFULL, -13, "disk full")                       \
	X(OK_EBUSY, -14, "busy, try again")                     \
	X(OK_EINTERNAL, -15, "internal error")                  \
	X(OK_EGONE, -16, "no longer available")                 \
	X(OK_ELIMIT, -17, "limit reached")

enum ok_code {
	OK_OK = 0,
#define OK_ERROR_ENUM(name, value, msg) name = value,
	OK_ERROR_CODES(OK_ERROR_ENUM)
#undef OK_ERROR_ENUM
};

#define OK_ERROR_MESSAGE_MAX 256
#define OK_ERROR_FIELD_MAX   64
#define OK_ERROR_FILE_MAX    256

struct ok_error {
	int code;                           /* 0 or an OK_E… code */
	char message[OK_ERROR_MESSAGE_MAX]; /* human readable, no personal data */
	char file[OK_ERROR_FILE_MAX];       /* input file, "" when not about a file */
	size_t line;                        /* 1-based line of bad input, 0 when none */
	char field[OK_ERROR_FIELD_MAX];     /* field or column of bad input, "" when none */
};

/* The fixed message of a code ("invalid input"); never NULL. */
const char *ok_strerror(int code);

/* The symbolic name of a code ("OK_EINPUT"); never NULL. */
const char *ok_code_name(int code);

/* Clears err (if non-NULL) to "no error". */
void ok_error_clear(struct ok_error *err);

/*
 * Records an error in err (if non-NULL) and returns code, so that callers can write
 * `return ok_fail(err, OK_EINPUT, "credits must be 0-600");`. A message that does not fit is
 * cut at a character boundary and ends in "...".
 */
int ok_fail(struct ok_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Like ok_fail, and also names the field of the bad input. */
int ok_fail_field(struct ok_error *err, int code, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Sets the input location of an error already recorded (file may be NULL to keep it). */
void ok_error_locate(struct ok_error *err, const char *file, size_t line);

#endif
