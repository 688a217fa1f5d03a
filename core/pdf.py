"""Small reportlab helpers shared by certificates, plaques and reports. Pure: no ORM, no settings."""

from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing


def paragraph_text(value: str) -> str:
    """Escape user text before it reaches reportlab's Paragraph mini-markup (<b>, <font>, & ...)."""
    return escape(str(value))


def qr_drawing(url: str, size: float) -> Drawing:
    """A square QR code of `url`, `size` points wide, as a Drawing (usable as a flowable or drawn on a canvas)."""
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def draw_qr(canvas, url: str, x: float, y: float, size: float) -> None:
    renderPDF.draw(qr_drawing(url, size), canvas, x, y)
