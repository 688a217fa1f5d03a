"""PDF drawing read back from the page (issue #16): the QR modules drawn are the QR code of the document's own URL,
and the report's bar charts, now drawn straight on the canvas, paint what reportlab's HorizontalBarChart painted.
Pure functions of dataclasses: no database."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from certification.pdf import plaque_pdf
from core.pdf import QR_QUIET_ZONE, draw_qr
from evaluations.pdf import GROUP_LABELS, GroupChart
from training.pdf import CompletionCertificateData, render_completion_certificate

BLACK = (0.0, 0.0, 0.0)
FILL_OPERATORS = {"f", "F", "f*", "B", "B*", "b", "b*"}
STROKE_OPERATORS = {"S", "s", "B", "B*", "b", "b*"}
PAINT_OPERATORS = FILL_OPERATORS | STROKE_OPERATORS | {"n"}


def _concat(first, then):
    """The PDF matrix product: `first` applied, then `then`."""
    a, b, c, d, e, f = first
    g, h, i, j, k, m = then
    return (a * g + b * i, a * h + b * j, c * g + d * i, c * h + d * j, e * g + f * i + k, e * h + f * j + m)


def _point(matrix, x, y):
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def page_marks(pdf: bytes, page_number: int = 0) -> list[tuple]:
    """What a page paints, in page coordinates: ("rect", x, y, w, h, fill, stroke), ("line", x0, y0, x1, y1, fill,
    stroke) with fill an RGB or None and stroke (RGB, width) or None, and ("text", font, size, x, y, text, RGB)."""
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[page_number]
    fonts = {name: str(font.get_object()["/BaseFont"]) for name, font in page["/Resources"]["/Font"].items()}
    state = {"ctm": (1, 0, 0, 1, 0, 0), "fill": BLACK, "stroke": BLACK, "width": 1.0}
    saved, path, marks = [], [], []
    text_matrix, font, current = (1, 0, 0, 1, 0, 0), ("", 0.0), (0.0, 0.0)
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        operator = operator.decode() if isinstance(operator, bytes) else operator
        numbers = [float(value) for value in operands if isinstance(value, int | float)]
        if operator == "q":
            saved.append(dict(state))
        elif operator == "Q":
            state = saved.pop()
        elif operator == "cm":
            state["ctm"] = _concat(tuple(numbers), state["ctm"])
        elif operator in ("rg", "RG"):
            state["fill" if operator == "rg" else "stroke"] = tuple(round(value, 3) for value in numbers)
        elif operator == "w":
            state["width"] = numbers[0]
        elif operator == "re":
            x, y, width, height = numbers
            (x0, y0), (x1, y1) = _point(state["ctm"], x, y), _point(state["ctm"], x + width, y + height)
            path.append(("rect", min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)))
        elif operator == "m":
            current = _point(state["ctm"], *numbers)
        elif operator == "l":
            end = _point(state["ctm"], *numbers)
            path.append(("line", *current, *end))
            current = end
        elif operator in PAINT_OPERATORS:
            fill = state["fill"] if operator in FILL_OPERATORS else None
            stroke = (state["stroke"], state["width"]) if operator in STROKE_OPERATORS else None
            marks += [(*shape, fill, stroke) for shape in path if fill or stroke]
            path = []
        elif operator == "BT":
            text_matrix = (1, 0, 0, 1, 0, 0)
        elif operator == "Tf":
            font = (fonts.get(operands[0], str(operands[0])), numbers[0])
        elif operator == "Tm":
            text_matrix = tuple(numbers)
        elif operator == "Tj":
            x, y = _point(_concat(text_matrix, state["ctm"]), 0, 0)
            marks.append(("text", *font, x, y, str(operands[0]), state["fill"]))
    return marks


def assert_same_marks(actual: list[tuple], expected: list[tuple], tolerance: float = 0.02) -> None:
    """Equal marks, coordinates within `tolerance` points (PDF numbers are written to ~6 significant digits)."""
    def order(mark):
        return tuple(round(value) if isinstance(value, float) else str(value) for value in mark)

    assert len(actual) == len(expected)
    for got, want in zip(sorted(actual, key=order), sorted(expected, key=order), strict=True):
        assert len(got) == len(want) and got[0] == want[0], (got, want)
        for got_value, want_value in zip(got, want, strict=True):
            if isinstance(want_value, float):
                assert got_value == pytest.approx(want_value, abs=tolerance), (got, want)
            else:
                assert got_value == want_value, (got, want)


def qr_modules_drawn(pdf: bytes) -> tuple[list[list[int]], tuple[float, float, float]]:
    """The QR code read back from the page's black unstroked rectangles (runs of modules): the module grid, 1 =
    dark, and the left and bottom edges of the dark area with the module size."""
    runs = [mark for mark in page_marks(pdf) if mark[0] == "rect" and mark[5] == BLACK and mark[6] is None]
    module = min(mark[4] for mark in runs)
    left, bottom = min(mark[1] for mark in runs), min(mark[2] for mark in runs)
    top = max(mark[2] + mark[4] for mark in runs)
    count = round((top - bottom) / module)
    grid = [[0] * count for _ in range(count)]
    for _, x, y, width, height, _, _ in runs:
        assert height == pytest.approx(module, abs=0.01)
        row, column = round((top - y - height) / module), round((x - left) / module)
        for offset in range(round(width / module)):
            grid[row][column + offset] = 1
    return grid, (left, bottom, module)


def library_matrix(url: str) -> list[list[int]]:
    return [list(row) for row in segno.make_qr(url, error="M", boost_error=False).matrix]


def certificate_data(verification_url: str) -> CompletionCertificateData:
    return CompletionCertificateData(
        officer_name="Maria Alvarez", officer_license="CA 123", agency_name="Riverside Police Department",
        course_code="PO-101", course_title="De-escalation", ce_hours=Decimal("8.00"), completed_on=date(2026, 10, 1),
        verification_code="V7K2-9QXH", verification_url=verification_url)


@pytest.mark.parametrize("url", ["https://peacecert.example.org/verify/V7K2-9QXH/",
                                 "https://peacecert.example.org/verify/A1B2-C3D4-E5F6-G7H8-J9K0-L1M2-N3P4/"])
def test_certificate_qr_drawn_is_the_qr_code_of_its_verification_url(url):
    grid, _ = qr_modules_drawn(render_completion_certificate(certificate_data(url)))

    assert grid == library_matrix(url)


def test_certificates_with_different_urls_draw_different_qr_codes():
    first, _ = qr_modules_drawn(render_completion_certificate(certificate_data("https://a.example.org/verify/1/")))
    second, _ = qr_modules_drawn(render_completion_certificate(certificate_data("https://a.example.org/verify/2/")))

    assert first != second


def test_plaque_qr_drawn_is_the_qr_code_of_its_public_registry_page():
    url = "https://peacecert.example.org/registry/agencies/PC-2026-000123/"
    plaque = SimpleNamespace(agency_name="Riverside Police Department", agency_state="CA",
                             programme_name="Peace Officer Agency Certification", certificate_number="PC-2026-000123",
                             issued_on=date(2026, 11, 1), valid_until=date(2028, 11, 1), verify_url=url)

    grid, _ = qr_modules_drawn(plaque_pdf(plaque))

    assert grid == library_matrix(url)


def test_qr_fills_the_square_asked_for_with_a_four_module_quiet_zone():
    url = "https://peacecert.example.org/verify/V7K2-9QXH/"
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(300, 300))
    draw_qr(canvas, url, x=40, y=60, size=108)
    canvas.save()

    grid, (left, bottom, module) = qr_modules_drawn(buffer.getvalue())

    modules = len(library_matrix(url))
    assert module == pytest.approx(108 / (modules + 2 * QR_QUIET_ZONE), abs=0.001)
    assert (left, bottom) == (pytest.approx(40 + 4 * module, abs=0.01), pytest.approx(60 + 4 * module, abs=0.01))
    assert len(grid) == modules


def reportlab_bar_chart(competencies: list[dict], group: str) -> Drawing:
    """The chart as the report built it before issue #16, kept here as the reference the direct drawing matches."""
    rows = [(c["label"], c["by_group"][group]["mean"]) for c in competencies if group in c["by_group"]]
    height = 24 + 14 * max(len(rows), 1)
    drawing = Drawing(170 * mm, height)
    drawing.add(String(0, height - 10, GROUP_LABELS.get(group, group), fontName="Helvetica-Bold", fontSize=9))
    if not rows:
        return drawing
    chart = HorizontalBarChart()
    chart.x, chart.y = 62 * mm, 4
    chart.width, chart.height = 100 * mm, 14 * len(rows)
    chart.data = [[value for _, value in reversed(rows)]]
    chart.categoryAxis.categoryNames = [label for label, _ in reversed(rows)]
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 5, 1
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#0b5cad")
    drawing.add(chart)
    return drawing


def drawn_alone(flowable) -> tuple[list[tuple], tuple[float, float]]:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    size = flowable.wrap(500, 800)
    flowable.drawOn(canvas, 30, 100)
    canvas.save()
    return page_marks(buffer.getvalue()), size


COMPETENCY_LABELS = ["Community engagement", "De-escalation", "Integrity and accountability", "Leadership",
                     "Decision making", "Cultural competency", "Procedural justice", "Communication",
                     "Developing others"]


@pytest.mark.parametrize("means", [[], [3.0], [1.0, 5.0], [4.25, 2.6, 3.33, 1.8, 5.0, 4.0, 2.0, 3.75],
                                   [2.5] * 9])
def test_group_chart_paints_what_reportlabs_bar_chart_painted(means):
    competencies = [{"label": COMPETENCY_LABELS[i], "by_group": {"peer": {"mean": mean, "n": 4}}}
                    for i, mean in enumerate(means)]
    rows = [(c["label"], c["by_group"]["peer"]["mean"]) for c in competencies]

    marks, size = drawn_alone(GroupChart(GROUP_LABELS["peer"], rows))
    reference_marks, reference_size = drawn_alone(reportlab_bar_chart(competencies, "peer"))

    assert size == reference_size
    assert_same_marks(marks, reference_marks)
    assert {mark[5] for mark in marks if mark[0] == "text"} >= {"Peers", *COMPETENCY_LABELS[:len(means)]}
