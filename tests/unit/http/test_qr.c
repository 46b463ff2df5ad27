/* Unit tests for the QR code SVG: the drawn modules are exactly libqrencode's, with a quiet
 * zone; bad and oversized input is refused without touching the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "http/qr.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Paints the path's runs ("Mx yhNv1h-Nz") into a size × size grid. */
static void paint(const char *svg, unsigned char *grid, int size)
{
	const char *d = strstr(svg, " d=\"");
	int x, y, n, m, used;

	assert_non_null(d);
	d += 4;
	while (*d == 'M') {
		assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &m, &used), 4);
		assert_int_equal(n, m);
		assert_true(x >= 0 && y >= 0 && x + n <= size && y < size);
		for (int i = 0; i < n; i++)
			grid[y * size + x + i] = 1;
		d += used;
	}
	assert_int_equal(*d, '"');
}

static void draws_the_modules_of_libqrencode(void **state)
{
	const char *text = "http://127.0.0.1:8080/s/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg";
	QRcode *q =
	        QRcode_encodeData((int)strlen(text), (const unsigned char *)text, 0, QR_ECLEVEL_M);
	struct ok_error err;
	struct buf b;
	char head[128];
	unsigned char *grid;
	int size;

	(void)state;
	assert_non_null(q);
	size = q->width + 8;
	buf_init(&b, 1 << 20);
	assert_int_equal(web_qr_svg(text, &b, &err), 0);
	snprintf(head, sizeof(head),
	         "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"", size, size);
	assert_memory_equal(b.data, head, strlen(head));
	assert_string_equal(b.data + b.len - 6, "</svg>");
	assert_int_equal(count(b.data, "<path"), 1);
	assert_int_equal(count(b.data, "fill=\"#fff\""), 1);
	grid = calloc((size_t)(size * size), 1);
	assert_non_null(grid);
	paint(b.data, grid, size);
	for (int y = 0; y < size; y++)
		for (int x = 0; x < size; x++) {
			int inside = x >= 4 && y >= 4 && x < size - 4 && y < size - 4;
			int want = inside ? q->data[(y - 4) * q->width + (x - 4)] & 1 : 0;
			if (grid[y * size + x] != want)
				fail_msg("module %d,%d is %d, libqrencode says %d", x, y,
				         grid[y * size + x], want);
		}
	free(grid);
	QRcode_free(q);
	buf_release(&b);
}

static void appends_to_what_is_there(void **state)
{
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_addstr(&b, "<figure>");
	assert_int_equal(web_qr_svg("x", &b, &err), 0);
	assert_memory_equal(b.data, "<figure><svg ", 13);
	buf_release(&b);
}

static void refuses_empty_and_overlong_text(void **state)
{
	char big[WEB_QR_TEXT_MAX + 2];
	struct ok_error err;
	struct buf b;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 1 << 20);
	assert_int_equal(web_qr_svg("", &b, &err), OK_EINPUT);
	assert_int_equal(web_qr_svg(NULL, &b, &err), OK_EINPUT);
	assert_int_equal(web_qr_svg(big, &b, &err), OK_EINPUT);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void a_full_buffer_is_left_as_it_was(void **state)
{
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 200);
	buf_addstr(&b, "keep");
	assert_int_equal(web_qr_svg("http://example.org/s/abc", &b, &err), OK_ETOOBIG);
	assert_string_equal(b.data, "keep");
	assert_int_equal(err.code, OK_ETOOBIG);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(draws_the_modules_of_libqrencode),
	        cmocka_unit_test(appends_to_what_is_there),
	        cmocka_unit_test(refuses_empty_and_overlong_text),
	        cmocka_unit_test(a_full_buffer_is_left_as_it_was),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
