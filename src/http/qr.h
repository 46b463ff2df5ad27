/* QR codes for share links: libqrencode's matrix drawn as a small SVG, so that a learner can
 * hand a link to someone with a phone. */
#ifndef OK_HTTP_QR_H
#define OK_HTTP_QR_H

#include "core/buf.h"
#include "core/error.h"

/* The longest text encoded (bytes); share links are far shorter. */
#define WEB_QR_TEXT_MAX 1024

/*
 * Appends to out an SVG image of text as a QR code (error correction level M, 8-bit mode): dark
 * modules as one path on a white square, with a quiet zone of four modules, scaled by its
 * viewBox. Returns 0, OK_EINPUT for an empty or over-long text, OK_ETOOBIG / OK_ENOMEM when out
 * cannot hold it (out is then left as it was).
 */
int web_qr_svg(const char *text, struct buf *out, struct ok_error *err);

#endif
