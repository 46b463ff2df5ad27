/* Helpers shared by the subcommands (see cli.h). */
#include "cli/cli.h"
#include "cli/term.h"

#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

void cli_print_error(const struct cli *c, const struct ok_error *err)
{
	fprintf(stderr, "%s: ", c->prog);
	if (err->file[0] && err->line)
		fprintf(stderr, "%s:%zu: ", err->file, err->line);
	else if (err->file[0])
		fprintf(stderr, "%s: ", err->file);
	if (err->field[0] && !strstr(err->message, err->field))
		fprintf(stderr, "%s: ", err->field);
	/* A message may quote what it refuses (a name, a URL): shown escaped, it cannot drive
	 * the terminal. */
	term_put(stderr, err->message[0] ? err->message : ok_strerror(err->code));
	fputc('\n', stderr);
}

void cli_print_refusal(const struct cli *c, const char *what, const struct ok_error *err)
{
	fprintf(stderr, "%s: refused (%s): ", c->prog, what);
	term_put(stderr, err->message);
	fputc('\n', stderr);
}

void cli_print_json(json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (text)
		puts(text);
	free(text);
	json_decref(doc);
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", c->prog);
	return EXIT_FAILED;
}

int cli_open(struct cli *c, struct depository *d)
{
	struct ok_error err;

	ok_error_clear(&err);
	if (depository_open(d, c->data_dir, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	d->bench_audit_off = c->bench_audit_off;
	return 0;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	return getopt_long(argc, argv, shortopts, longopts, NULL);
}

int cli_subcommand(struct cli *c, int argc, char **argv, const struct cli_subcommand *subs,
                   size_t nsubs, const char *usage, const char *expected)
{
	size_t i;

	for (i = 0; argc >= 2 && i < nsubs; i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			c->prog = subs[i].prog;
			return subs[i].run(c, argc - 1, argv + 1);
		}
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	return cli_usage_error(c, "%s", expected);
}

void cli_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void cli_format_credits(long centi, char out[32])
{
	/* A long and a few characters: 32 bytes hold every case, nothing is cut. */
	if (centi < 0)
		snprintf(out, 32, "-");
	else if (centi % 100 == 0)
		snprintf(out, 32, "%ld", centi / 100);
	else if (centi % 10 == 0)
		snprintf(out, 32, "%ld.%ld", centi / 100, (centi % 100) / 10);
	else
		snprintf(out, 32, "%ld.%02ld", centi / 100, centi % 100);
}

int cli_read_input(const struct cli *c, const char *path, struct buf *b, bool *cut)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rbe");
	char chunk[65536];
	size_t n;
	int rc = EXIT_OK;

	*cut = false;
	if (!f) {
		fprintf(stderr, "%s: cannot open %s: %s\n", c->prog, path, strerror(errno));
		return EXIT_FAILED;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(b, chunk, n) != 0) {
			buf_add(b, chunk, b->max - b->len);
			*cut = true;
			break;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: cannot read %s\n", c->prog, path);
		rc = EXIT_FAILED;
	}
	if (f != stdin)
		fclose(f);
	return rc;
}
