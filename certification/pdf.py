"""The certification plaque as a printable PDF: a pure function from `PlaqueData` to bytes (reportlab only)."""

import io

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Paragraph

from core.pdf import draw_qr, paragraph_text

NAVY = colors.HexColor("#12325b")
GOLD = colors.HexColor("#b08d2f")


def _centered(c, text_markup: str, style: ParagraphStyle, y: float, width: float, margin: float) -> float:
    """Draw a centred paragraph whose top is at `y`; return the y below it."""
    paragraph = Paragraph(text_markup, style)
    _, height = paragraph.wrap(width - 2 * margin, 400)
    paragraph.drawOn(c, margin, y - height)
    return y - height


def plaque_pdf(data) -> bytes:
    """One landscape page: programme, agency, validity, certificate number and a QR code of the public page."""
    buffer = io.BytesIO()
    width, height = landscape(letter)
    c = pdf_canvas.Canvas(buffer, pagesize=(width, height))
    c.setTitle(f"{data.programme_name} - {data.agency_name}")
    c.setAuthor("PeaceCert")

    c.setStrokeColor(NAVY)
    c.setLineWidth(6)
    c.rect(0.4 * inch, 0.4 * inch, width - 0.8 * inch, height - 0.8 * inch)
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.5)
    c.rect(0.55 * inch, 0.55 * inch, width - 1.1 * inch, height - 1.1 * inch)

    margin = 1.0 * inch
    small = ParagraphStyle("small", fontName="Helvetica", fontSize=13, leading=17, alignment=TA_CENTER,
                           textColor=colors.black)
    title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=26, leading=31, alignment=TA_CENTER,
                           textColor=NAVY)
    agency = ParagraphStyle("agency", fontName="Times-Bold", fontSize=34, leading=40, alignment=TA_CENTER,
                            textColor=colors.black)

    y = height - 1.1 * inch
    y = _centered(c, paragraph_text(data.programme_name), title, y, width, margin) - 0.25 * inch
    y = _centered(c, "This certifies that", small, y, width, margin) - 0.15 * inch
    y = _centered(c, paragraph_text(data.agency_name), agency, y, width, margin) - 0.05 * inch
    y = _centered(c, paragraph_text(data.agency_state), small, y, width, margin) - 0.2 * inch
    y = _centered(c, "has met every requirement of the programme, including the training of its sworn officers in "
                     "Peace Officer practice.", small, y, width, margin) - 0.25 * inch
    _centered(c, f"Issued {data.issued_on:%B %d, %Y} &nbsp;&middot;&nbsp; Valid until {data.valid_until:%B %d, %Y}",
              small, y, width, margin)

    qr_size = 1.45 * inch
    draw_qr(c, data.verify_url, width - margin - qr_size, 0.75 * inch, qr_size)
    c.setFont("Helvetica-Bold", 12)
    c.drawString(margin, 1.55 * inch, f"Certificate number {data.certificate_number}")
    c.setFont("Helvetica", 9)
    c.drawString(margin, 1.3 * inch, "Verify this certificate:")
    c.drawString(margin, 1.12 * inch, data.verify_url)
    c.showPage()
    c.save()
    return buffer.getvalue()
