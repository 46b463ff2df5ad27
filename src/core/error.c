/* Messages for the error codes and the helpers that fill struct ok_error. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ok_strerror(int code)
{
	switch (code) {
	case OK_OK:
		return "success";
#define OK_ERROR_MSG(name, value, msg, ...) \
	case name:                          \
		return msg;
		OK_ERROR_CODES(OK_ERROR_MSG)
#undef OK_ERROR_MSG
	}
	return "unknown error";
}

const char *ok_code_name(int code)
{
	switch (code) {
	case OK_OK:
		return "OK_OK";
#define OK_ERROR_NAME(name, value, ...) \
	case name:                      \
		return #name;
		OK_ERROR_CODES(OK_ERROR_NAME)
#undef OK_ERROR_NAME
	}
	return "OK_EUNKNOWN";
}

/* One row of the table's HTTP columns; 0 and unknown codes get the internal error's row. */
struct http_row {
	unsigned status;
	const char *slug, *title, *detail;
};

static struct http_row http_row(int code)
{
	switch (code) {
#define OK_ERROR_HTTP(name, value, msg, status, slug, title, detail) \
	case name:                                                   \
		return (struct http_row){status, slug, title, detail};
		OK_ERROR_CODES(OK_ERROR_HTTP)
#undef OK_ERROR_HTTP
	default:
		break;
	}
	return (struct http_row){500, "internal", "Internal error", OK_DETAIL_HIDDEN};
}

unsigned ok_http_status(int code)
{
	return http_row(code).status;
}

const char *ok_problem_type(int code)
{
	return http_row(code).slug;
}

const char *ok_problem_title(int code)
{
	return http_row(code).title;
}

const char *ok_problem_detail(int code)
{
	return http_row(code).detail;
}

void ok_error_clear(struct ok_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

static void copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

__attribute__((format(printf, 2, 0))) static void format_message(struct ok_error *err,
                                                                 const char *fmt, va_list ap)
{
	int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);

	if (n < 0) {
		copy_bounded(err->message, sizeof(err->message), ok_strerror(err->code));
	} else if ((size_t)n >= sizeof(err->message)) {
		/* Cut back to a UTF-8 character boundary and mark the cut. */
		size_t end = sizeof(err->message) - 4;
		while (end > 0 && ((unsigned char)err->message[end] & 0xC0) == 0x80)
			end--;
		memcpy(err->message + end, "...", 4);
	}
}

int ok_fail(struct ok_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->field[0] = '\0';
	va_start(ap, fmt);
	format_message(err, fmt, ap);
	va_end(ap);
	return code;
}

int ok_fail_field(struct ok_error *err, int code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	copy_bounded(err->field, sizeof(err->field), field ? field : "");
	va_start(ap, fmt);
	format_message(err, fmt, ap);
	va_end(ap);
	return code;
}

void ok_error_locate(struct ok_error *err, const char *file, size_t line)
{
	if (!err)
		return;
	if (file)
		copy_bounded(err->file, sizeof(err->file), file);
	err->line = line;
}
