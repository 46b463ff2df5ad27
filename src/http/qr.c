/* QR code → SVG (see qr.h). Dark modules are drawn run by run along each row, as one path. */
#include "http/qr.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#define QUIET_ZONE 4

/* Appends the path data of row y: one "M x y h n v 1 h -n z" per run of dark modules. */
static int add_row(struct buf *b, const QRcode *q, int y)
{
	const unsigned char *row = q->data + (size_t)y * (size_t)q->width;
	int x = 0, rc = 0;

	while (x < q->width && rc == 0) {
		int start;

		if (!(row[x] & 1)) {
			x++;
			continue;
		}
		start = x;
		while (x < q->width && (row[x] & 1))
			x++;
		rc = buf_addf(b, "M%d %dh%dv1h-%dz", start + QUIET_ZONE, y + QUIET_ZONE, x - start,
		              x - start);
	}
	return rc;
}

int web_qr_svg(const char *text, struct buf *out, struct ok_error *err)
{
	size_t len = text ? strlen(text) : 0, before = out->len;
	QRcode *q;
	int size, y, rc;

	if (len == 0 || len > WEB_QR_TEXT_MAX)
		return ok_fail(err, OK_EINPUT, "a QR code needs a text of 1 to %d bytes",
		               WEB_QR_TEXT_MAX);
	q = QRcode_encodeData((int)len, (const unsigned char *)text, 0, QR_ECLEVEL_M);
	if (!q)
		return errno == ENOMEM ? ok_fail(err, OK_ENOMEM, "out of memory")
		                       : ok_fail(err, OK_EINPUT, "the text does not fit a QR code");
	size = q->width + 2 * QUIET_ZONE;
	rc = buf_addf(out,
	              "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	              "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
	              "fill=\"#fff\"/><path fill=\"#000\" d=\"",
	              size, size, size, size);
	for (y = 0; y < q->width && rc == 0; y++)
		rc = add_row(out, q, y);
	if (rc == 0)
		rc = buf_addstr(out, "\"/></svg>");
	QRcode_free(q);
	if (rc) {
		buf_truncate(out, before);
		return ok_fail(err, rc, "the QR code does not fit its buffer");
	}
	return 0;
}
