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

/*
 * X(name, value, default message, HTTP status, problem slug, problem title, public detail)
 *
 * The HTTP columns say how the server answers the code by default: status, the problem
 * document's type (`/problems/<slug>`) and title, and its detail. A NULL public detail means the
 * error's own message is the detail; otherwise that fixed text replaces it, because the message
 * of a store, I/O or internal error may name paths or other things a client must not see.
 */
#define OK_DETAIL_OWN    NULL
#define OK_DETAIL_HIDDEN "the depository could not complete the request"
#define OK_ERROR_CODES(X)                                                                          \
	X(OK_EINPUT, -1, "invalid input", 400, "invalid-input", "Invalid input", OK_DETAIL_OWN)    \
	X(OK_ENOMEM, -2, "out of memory", 500, "internal", "Internal error", OK_DETAIL_HIDDEN)     \
	X(OK_EIO, -3, "input/output error", 500, "internal", "Internal error", OK_DETAIL_HIDDEN)   \
	X(OK_ENOTFOUND, -4, "not found", 404, "not-found", "Not found", OK_DETAIL_OWN)             \
	X(OK_EEXIST, -5, "already exists", 409, "conflict", "Conflict", OK_DETAIL_OWN)             \
	X(OK_ETOOBIG, -6, "too large", 413, "too-large", "Content too large", OK_DETAIL_OWN)       \
	X(OK_ESTORE, -7, "store error", 500, "internal", "Internal error", OK_DETAIL_HIDDEN)       \
	X(OK_ECRYPTO, -8, "cryptographic failure", 500, "internal", "Internal error",              \
	  OK_DETAIL_HIDDEN)                                                                        \
	X(OK_EAUTH, -9, "not authorised", 403, "forbidden", "Forbidden", OK_DETAIL_OWN)            \
	X(OK_ECONFLICT, -10, "conflict with the current state", 409, "conflict", "Conflict",       \
	  OK_DETAIL_OWN)                                                                           \
	X(OK_EINVALID, -11, "verification failed", 422, "invalid", "Unprocessable", OK_DETAIL_OWN) \
	X(OK_EUNSUPPORTED, -12, "not supported", 500, "internal", "Internal error",                \
	  OK_DETAIL_HIDDEN)                                                                        \
	X(OK_EDISKFULL, -13, "disk full", 507, "disk-full", "Insufficient storage",                \
	  "the depository's disk is full; nothing was stored")                                     \
	X(OK_EBUSY, -14, "busy, try again", 503, "busy", "Busy",                                   \
	  "the depository is busy; try again")                                                     \
	X(OK_EINTERNAL, -15, "internal error", 500, "internal", "Internal error",                  \
	  OK_DETAIL_HIDDEN)                                                                        \
	X(OK_EGONE, -16, "no longer available", 410, "gone", "Gone", OK_DETAIL_OWN)                \
	X(OK_ELIMIT, -17, "limit reached", 429, "limit-reached", "Too many requests",              \
	  OK_DETAIL_OWN)                                                                           \
	X(OK_EREADONLY, -18, "read-only replica", 503, "read-only-replica", "Read-only replica",   \
	  "this server reads from a read-only replica; writes go to the primary's servers")        \
	X(OK_EMOVED, -19, "store moved", 503, "store-moved", "Store moved",                        \
	  "this server's records moved to another store; nothing was done: the server must be "    \
	  "restarted")                                                                            \
	X(OK_ENOANSWER, -20, "store not answering", 503, "store-not-answering",                    \
	  "Store not answering", "the store is not answering; try again later")

enum ok_code {
	OK_OK = 0,
#define OK_ERROR_ENUM(name, value, ...) name = value,
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

/*
 * How the server answers a code by default (0 and unknown codes answer as an internal error):
 * the HTTP status, the problem slug (the suffix of the problem document's type), its title, and
 * the fixed detail that replaces the error's message, or NULL when the message is the detail.
 * None of them returns NULL except ok_problem_detail.
 */
unsigned ok_http_status(int code);
const char *ok_problem_type(int code);
const char *ok_problem_title(int code);
const char *ok_problem_detail(int code);

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
