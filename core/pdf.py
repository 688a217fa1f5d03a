"""Small reportlab helpers shared by certificates, plaques and reports. Pure: no ORM, no settings."""

from itertools import groupby
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors

QR_ERROR_CORRECTION = "M"  # recovers ~15% damage: a printed certificate or plaque gets scuffed
QR_QUIET_ZONE = 4  # modules of white margin the QR standard asks for around the code, inside `size`


def paragraph_text(value: str) -> str:
    """Escape user text before it reaches reportlab's Paragraph mini-markup (<b>, <font>, & ...)."""
    return escape(str(value))


def qr_matrix(url: str) -> tuple[bytearray, ...]:
    """The modules of the QR code of `url`, top row first, 1 = dark; no quiet zone.

    segno encodes ~1.5x faster than reportlab's pure-Python encoder, which the QR widget also ran twice per code
    (bounds, then drawing): encoding was most of a certificate's render time (issue #16). The error level stays M
    exactly (no boost), the level the reportlab widget was given."""
    return segno.make_qr(url, error=QR_ERROR_CORRECTION, boost_error=False).matrix


def draw_qr(canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of `url` as a `size`-point square, quiet zone included, with its lower left corner at (x, y).

    The dark modules of a row are merged into runs and all runs go into one filled path: one PDF operator per run,
    where reportlab's widget built and rendered a validated Rect shape per run."""
    matrix = qr_matrix(url)
    module = size / (len(matrix) + 2 * QR_QUIET_ZONE)
    left = x + QR_QUIET_ZONE * module
    top = y + size - QR_QUIET_ZONE * module
    path = canvas.beginPath()
    for row_number, row in enumerate(matrix, start=1):
        column = 0
        for dark, run in groupby(row):
            length = len(list(run))
            if dark:
                path.rect(left + column * module, top - row_number * module, length * module, module)
            column += length
    canvas.saveState()
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
