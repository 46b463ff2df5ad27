/* The terminal progress bar (see progress.h). */
#include "cli/progress.h"

#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, FILE *out, size_t total_bytes)
{
	p->out = out;
	p->enabled = isatty(fileno(out)) == 1;
	p->total_bytes = total_bytes;
	p->started = now_seconds();
	p->last_drawn = 0;
}

void progress_update(struct progress *p, size_t rows, size_t bytes, bool final)
{
	double now = now_seconds(), elapsed = now - p->started, rate;
	const int width = 30;
	int filled = 0, i;

	if (!p->enabled || (!final && now - p->last_drawn < 0.1))
		return;
	p->last_drawn = now;
	rate = elapsed > 0 ? (double)rows / elapsed : 0;
	fprintf(p->out, "\r\033[K");
	if (p->total_bytes > 0) {
		double frac = (double)bytes / (double)p->total_bytes;
		if (frac > 1)
			frac = 1;
		filled = (int)(frac * width);
		fputc('[', p->out);
		for (i = 0; i < width; i++)
			fputc(i < filled ? '#' : '.', p->out);
		fprintf(p->out, "] %3.0f%%  %zu rows  %.0f rows/s", frac * 100, rows, rate);
		if (frac > 0.01 && frac < 1) {
			double left = elapsed / frac - elapsed;
			fprintf(p->out, "  ETA %d:%02d", (int)left / 60, (int)left % 60);
		}
	} else {
		fprintf(p->out, "%zu rows  %.0f rows/s", rows, rate);
	}
	fflush(p->out);
}

void progress_done(struct progress *p)
{
	if (p->enabled) {
		fprintf(p->out, "\r\033[K");
		fflush(p->out);
	}
}
