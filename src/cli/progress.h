/* A one-line progress bar on a terminal: rows, rows/s, percent and time left. */
#ifndef OK_CLI_PROGRESS_H
#define OK_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct progress {
	FILE *out;
	bool enabled;       /* only on a terminal */
	size_t total_bytes; /* 0 when unknown (a pipe) */
	double started;
	double last_drawn;
};

void progress_init(struct progress *p, FILE *out, size_t total_bytes);
/* Redraws at most ten times a second (always when final). */
void progress_update(struct progress *p, size_t rows, size_t bytes, bool final);
/* Clears the line so that a summary can follow. */
void progress_done(struct progress *p);

#endif
