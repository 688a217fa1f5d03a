"""The completion certificate: a pure function from a frozen dataclass to PDF bytes (reportlab only, no ORM)."""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph

from core.pdf import draw_qr, paragraph_text


@dataclass(frozen=True)
class CompletionCertificateData:
    officer_name: str
    officer_license: str
    agency_name: str
    course_code: str
    course_title: str
    ce_hours: Decimal
    completed_on: date
    verification_code: str
    verification_url: str
    programme_name: str = "PeaceCert - Peace Officer Training Programme"


def _hours(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} CE hour" + ("" if Decimal(text) == 1 else "s")


def render_completion_certificate(data: CompletionCertificateData) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    width, height = landscape(letter)
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setTitle(f"Certificate of completion {data.verification_code}")
    canvas.setAuthor(data.programme_name)

    canvas.setStrokeColor(colors.HexColor("#0b5cad"))
    canvas.setLineWidth(4)
    canvas.rect(0.4 * inch, 0.4 * inch, width - 0.8 * inch, height - 0.8 * inch)

    def centred(text: str, y: float, size: int, font: str = "Helvetica") -> None:
        # Paragraph (not drawString) so long names wrap; user text is escaped before it meets the markup.
        style = ParagraphStyle("c", fontName=font, fontSize=size, leading=size * 1.25, alignment=1)
        paragraph = Paragraph(paragraph_text(text), style)
        _, h = paragraph.wrap(width - 2 * inch, height)
        paragraph.drawOn(canvas, inch, y - h)

    centred(data.programme_name, height - 1.0 * inch, 14)
    centred("Certificate of Completion", height - 1.5 * inch, 30, "Helvetica-Bold")
    centred("This certifies that", height - 2.3 * inch, 13)
    centred(data.officer_name, height - 2.7 * inch, 26, "Helvetica-Bold")
    centred(f"Licence {data.officer_license} - {data.agency_name}", height - 3.25 * inch, 12)
    centred("completed the course", height - 3.7 * inch, 13)
    centred(f"{data.course_title} ({data.course_code})", height - 4.1 * inch, 18, "Helvetica-Bold")
    centred(f"{_hours(data.ce_hours)} - completed on {data.completed_on:%B %d, %Y}", height - 4.75 * inch, 14)

    qr_size = 1.5 * inch
    draw_qr(canvas, data.verification_url, width - 0.8 * inch - qr_size - 0.2 * inch, 0.7 * inch, qr_size)
    canvas.setFont("Helvetica", 11)
    canvas.drawString(0.9 * inch, 1.45 * inch, f"Verification code: {data.verification_code}")
    canvas.setFont("Helvetica", 9)
    canvas.drawString(0.9 * inch, 1.2 * inch, f"Verify at {data.verification_url}")
    canvas.drawString(0.9 * inch, 0.95 * inch, "Scan the code or open the address to confirm this certificate is "
                      "genuine and current.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
