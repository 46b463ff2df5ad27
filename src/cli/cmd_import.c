/* oorkonde import: register results from a CSV file, with a report and an errors file. */
#include "audit/actor.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "io/csv_writer.h"
#include "registry/import.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char import_usage[] =
        "Usage: oorkonde [--data DIR] import FILE.csv --institution CODE\n"
        "                                 [--dry-run] [--strict] [--errors OUT.csv]\n\n"
        "Registers study results and diplomas from a CSV file (see docs/formats.md); FILE may be\n"
        "- for standard input. Rows are committed in batches: an interrupted import can be run\n"
        "again and completes; rows already registered unchanged are left alone.\n\n"
        "  --institution CODE  the institution the rows belong to\n"
        "  --dry-run           check and count everything, store nothing\n"
        "  --strict            store nothing if any row is rejected\n"
        "  --errors OUT.csv    write the rejected rows to OUT.csv, with columns error_line,\n"
        "                      error_field and error_reason first; correct the rows there\n"
        "                      and import OUT.csv again as it is\n"
        "  --help              print this help\n\n"
        "Exit status: 0 all rows accepted, 1 some rows rejected, 2 the file could not be used.\n";

struct import_cli {
	struct progress progress;
	FILE *errors;
	bool errors_header; /* the errors file's header row is written */
	int errors_failed;  /* a write to the errors file failed (an OK_E… code) */
	struct buf line;    /* one line of the errors file */
	size_t shown;       /* rejections printed to stderr */
};

/* The errors file's header: the error columns, then the registration's, with the input's
 * separator so that the file opens in the same spreadsheet and imports again as it is. */
static int errors_header(struct import_cli *ic, char sep)
{
	size_t i;
	int rc = 0;

	buf_reset(&ic->line);
	for (i = 0; !rc && i < IMPORT_ERROR_COLUMNS + REG_COLUMN_COUNT; i++) {
		const char *name = i < IMPORT_ERROR_COLUMNS
		                           ? import_error_columns[i]
		                           : registration_column_names[i - IMPORT_ERROR_COLUMNS];
		if (i)
			rc = buf_addch(&ic->line, sep);
		if (!rc)
			rc = buf_addstr(&ic->line, name);
	}
	if (!rc)
		rc = buf_addch(&ic->line, '\n');
	ic->errors_header = true;
	return rc;
}

static void write_errors_line(struct import_cli *ic, int rc)
{
	if (!rc && fwrite(ic->line.data, 1, ic->line.len, ic->errors) != ic->line.len)
		rc = OK_EIO;
	if (rc && !ic->errors_failed)
		ic->errors_failed = rc;
}

static void on_reject(void *ctx, const struct csv_row *row, const struct ok_error *e)
{
	struct import_cli *ic = ctx;
	char sep = row && row->separator ? row->separator : ',', num[32];
	size_t i;
	int rc = 0;

	if (ic->shown < 20) {
		progress_done(&ic->progress);
		fprintf(stderr, "%s:%zu: %s%s%s\n", e->file, e->line,
		        strstr(e->message, e->field) ? "" : e->field,
		        strstr(e->message, e->field) ? "" : ": ", e->message);
	} else if (ic->shown == 20) {
		fprintf(stderr, "(more rejected rows: see the summary%s)\n",
		        ic->errors ? " and the errors file" : "; use --errors FILE for all");
	}
	ic->shown++;
	if (!ic->errors)
		return;
	if (!ic->errors_header)
		write_errors_line(ic, errors_header(ic, sep));
	buf_reset(&ic->line);
	snprintf(num, sizeof(num), "%zu", e->line); /* 32 bytes hold any size_t */
	rc = csv_cell_append(&ic->line, num, strlen(num), sep);
	if (!rc)
		rc = buf_addch(&ic->line, sep);
	if (!rc)
		rc = csv_cell_append(&ic->line, e->field, strlen(e->field), sep);
	if (!rc)
		rc = buf_addch(&ic->line, sep);
	if (!rc)
		rc = csv_cell_append(&ic->line, e->message, strlen(e->message), sep);
	for (i = 0; !rc && i < REG_COLUMN_COUNT; i++) {
		rc = buf_addch(&ic->line, sep);
		if (!rc && row && i < row->count)
			rc = csv_cell_append(&ic->line, row->fields[i].data, row->fields[i].len,
			                     sep);
	}
	if (!rc)
		rc = buf_addch(&ic->line, '\n');
	write_errors_line(ic, rc);
}

static void on_progress(void *ctx, const struct import_report *r, size_t bytes)
{
	struct import_cli *ic = ctx;

	progress_update(&ic->progress, r->read, bytes, false);
}

/* The rejected rows hold national ids: written only into a plain file of the operator's own
 * (new, or theirs already), never through a symbolic link, into another user's file, a file
 * with a second name, or a FIFO, any of which someone else may have left in a shared folder. */
static FILE *open_errors_file(struct cli *c, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	struct stat st;
	FILE *f;

	if (fd < 0 && errno == ELOOP) {
		fprintf(stderr, "%s: --errors %s is a symbolic link; name the file itself\n",
		        c->prog, path);
		return NULL;
	}
	if ((fd < 0 && errno == ENXIO) ||
	    (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	                 st.st_uid != geteuid()))) {
		fprintf(stderr,
		        "%s: --errors %s is not a plain file of yours (another user's, a second "
		        "name "
		        "of a file, or a pipe); name a new file\n",
		        c->prog, path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (fd >= 0 && (ftruncate(fd, 0) != 0 || fchmod(fd, 0600) != 0 ||
	                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return f;
}

static void print_report(const struct import_report *r, const struct import_options *o,
                         const char *errors_path)
{
	printf("%zu rows read: %zu added, %zu updated, %zu unchanged, %zu rejected\n", r->read,
	       r->added, r->updated, r->unchanged, r->rejected);
	if (errors_path && r->rejected)
		printf("The rejected rows are in %s: correct them there and import that file "
		       "again as it is.\n",
		       errors_path);
	if (o->dry_run)
		printf("Dry run: nothing was stored.\n");
	else if (!r->stored)
		printf("Nothing was stored: %zu rows rejected and --strict was given.\n",
		       r->rejected);
	else if (r->added == 0 && r->updated == 0 && r->read > 0 && r->rejected == 0)
		printf("Nothing changed: every row was already registered as it is.\n");
}

int cmd_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"institution", required_argument, NULL, 'i'},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"strict", no_argument, NULL, 's'},
	        {"errors", required_argument, NULL, 'e'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct import_options o = {.actor = AUDIT_OPERATOR};
	struct import_cli ic = {0};
	struct import_report report;
	struct depository d;
	struct ok_error err;
	const char *path = NULL, *errors_path = NULL;
	struct stat st;
	FILE *in = NULL;
	int opt, rc, exit_code;

	/* A line of the errors file: every column at its cap, each quote doubled. */
	buf_init(&ic.line, (size_t)1 << 20);
	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'i':
			o.institution = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 's':
			o.strict = true;
			break;
		case 'e':
			errors_path = optarg;
			break;
		case 'h':
			fputs(import_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one FILE.csv (or - for standard input)");
	path = argv[optind];
	if (!o.institution)
		return cli_usage_error(c, "--institution CODE is required");
	if (strcmp(path, "-") == 0) {
		in = stdin;
		path = "<stdin>";
	} else if (!(in = fopen(path, "rbe"))) {
		fprintf(stderr, "%s: cannot open %s: %s\n", c->prog, path, strerror(errno));
		return EXIT_FAILED;
	}
	if (fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: %s is a folder, not a CSV file\n", c->prog, path);
		exit_code = EXIT_FAILED;
		goto out;
	}
	/* Writing the errors file over the input would destroy the input before it is read. */
	if (errors_path) {
		struct stat es;
		if (stat(errors_path, &es) == 0 && es.st_dev == st.st_dev &&
		    es.st_ino == st.st_ino) {
			fprintf(stderr, "%s: --errors %s is the input file; choose another file\n",
			        c->prog, errors_path);
			exit_code = EXIT_FAILED;
			goto out;
		}
	}
	if ((rc = cli_open(c, &d))) {
		exit_code = rc;
		goto out;
	}
	if (errors_path && !(ic.errors = open_errors_file(c, errors_path))) {
		depository_close(&d);
		exit_code = EXIT_FAILED;
		goto out;
	}
	progress_init(&ic.progress, stderr, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0);
	o.on_reject = on_reject;
	o.on_progress = on_progress;
	o.ctx = &ic;
	ok_error_clear(&err);
	rc = registry_import_csv(&d, &o, path, csv_read_file, in, &report, &err);
	progress_done(&ic.progress);
	depository_close(&d);
	if (ic.errors) {
		/* No row rejected: the file still says which columns it would have. */
		if (!ic.errors_header)
			write_errors_line(
			        &ic, errors_header(&ic, report.separator ? report.separator : ','));
		if ((fclose(ic.errors) != 0 || ic.errors_failed) && !rc) {
			fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, errors_path,
			        ic.errors_failed && ic.errors_failed != OK_EIO
			                ? ok_strerror(ic.errors_failed)
			                : strerror(errno));
			rc = OK_EIO;
		}
	}

	if (rc) {
		cli_print_error(c, &err);
		if (report.read && !o.strict && !o.dry_run)
			printf("Stopped after %zu rows; batches committed before the error are "
			       "kept: run the import again to complete it.\n",
			       report.read);
		exit_code = EXIT_FAILED;
		goto out;
	}
	print_report(&report, &o, errors_path);
	exit_code = report.rejected ? EXIT_REJECTED : EXIT_OK;
out:
	buf_release(&ic.line);
	if (in && in != stdin)
		fclose(in);
	return exit_code;
}
