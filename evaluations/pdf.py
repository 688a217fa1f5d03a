"""The promotability report as a PDF: a pure function from `ReportPdfData` to bytes (reportlab only, no ORM)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.pdf import paragraph_text

GROUP_LABELS = {"self": "Self", "supervisor": "Supervisor", "peer": "Peers", "direct_report": "Direct reports",
                "community": "Community"}
BAND_LABELS = {"ready_now": "Ready now", "ready_1_2_years": "Ready in 1-2 years",
               "development_needed": "Development needed"}
NOTICE_AI = ("AI-assisted, advisory: the narrative was drafted by a language model from anonymised data and checked "
             "by rules; the readiness band comes from a documented scoring rule, not the model. The decision rests "
             "with the agency.")
NOTICE_BUILTIN = ("Advisory: the narrative was written by the built-in deterministic summariser (no language model) "
                  "from anonymised data; the readiness band comes from a documented scoring rule. The decision "
                  "rests with the agency.")
_BUILTIN_TAIL = ("the narrative was written by the built-in deterministic summariser from anonymised data; the "
                 "readiness band comes from a documented scoring rule. The decision rests with the agency.")
NOTICE_TOO_FEW = ("Advisory: too few comments were shown to summarise with a language model, so none were sent to "
                  "one; " + _BUILTIN_TAIL)
NOTICE_REJECTED = ("Advisory: the redacted comments were sent to a language model, but its answer was rejected by "
                   "the automatic checks and not used; " + _BUILTIN_TAIL)
NOTICE_FAILED = ("Advisory: the redacted comments were sent to a language model, which gave no usable answer in "
                 "time; " + _BUILTIN_TAIL)
NOTICE_REPLACED = ("Advisory: the redacted comments were sent to a language model; a staff reviewer replaced its "
                   "summary with the built-in one: " + _BUILTIN_TAIL)
NOTICE_EDITED = " A staff reviewer edited the narrative or themes before release."


def report_notice(*, summariser: str, fallback: str, review_action: str = "") -> str:
    """What the report says about how its summary was written (`fallback`: services.fallback_category)."""
    if summariser == "llm":
        text = NOTICE_AI
    else:
        text = {"too_few_comments": NOTICE_TOO_FEW, "rejected": NOTICE_REJECTED, "failed": NOTICE_FAILED,
                "deadline": NOTICE_FAILED, "replaced_by_reviewer": NOTICE_REPLACED}.get(fallback, NOTICE_BUILTIN)
    return text + (NOTICE_EDITED if review_action == "edited" else "")


@dataclass(frozen=True)
class ReportPdfData:
    cycle_id: int
    subject_name: str
    agency_name: str
    target_position: str
    closed_on: str
    content: dict
    eligibility: dict
    summary: dict
    ai_assisted: bool
    summariser_label: str
    model: str
    prompt_version: str
    input_hash: str
    band_computed: str
    band_final: str = ""
    band_override_reason: str = ""
    released_by: str = ""
    released_on: str = ""
    development_areas: list = field(default_factory=list)
    notice: str = ""


def _p(text: str, style) -> Paragraph:
    return Paragraph(paragraph_text(text), style)


class GroupChart(Flowable):
    """One rater group's competency means as horizontal bars on a 0-5 scale, drawn straight on the canvas.

    It draws what reportlab's HorizontalBarChart drew with the settings used before (same bars, axes, ticks and
    labels at the same places): rendering that chart's shape tree cost ~5 ms a chart, five charts most of a report's
    render time (issue #16)."""

    WIDTH = 170 * mm
    AXIS_X = 62 * mm  # the bars start here; the competency labels end 5 pt left of it
    SCALE_WIDTH = 100 * mm  # 0 to SCALE_MAX
    SCALE_MAX = 5
    AXIS_Y = 4  # room below for the scale's ticks and labels
    ROW = 14
    BAR = ROW * 10 / 15  # reportlab's default bar width 10 and group spacing 5, scaled to the row
    TICK = 5
    LABEL_SIZE = 7
    BAR_COLOUR = colors.HexColor("#0b5cad")

    def __init__(self, title: str, rows: list[tuple[str, float | None]]):
        super().__init__()
        self.title, self.rows = title, rows  # top row first
        self.width = self.WIDTH
        self.height = 24 + self.ROW * max(len(rows), 1)

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        canvas.setFillColor(colors.black)
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(0, self.height - 10, self.title)
        if not self.rows:
            return
        left, bottom, count = self.AXIS_X, self.AXIS_Y, len(self.rows)
        top = bottom + self.ROW * count
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(1)
        canvas.setFillColor(self.BAR_COLOUR)
        for index, (_, value) in enumerate(reversed(self.rows)):
            if value:  # no bar for 0 or no value, as HorizontalBarChart (ratings start at 1: never seen)
                canvas.rect(left, bottom + index * self.ROW + (self.ROW - self.BAR) / 2,
                            value / self.SCALE_MAX * self.SCALE_WIDTH, self.BAR, stroke=1, fill=1)
        canvas.line(left, bottom, left, top)
        for index in range(count + 1):
            canvas.line(left, bottom + index * self.ROW, left - self.TICK, bottom + index * self.ROW)
        canvas.setFillColor(colors.black)
        canvas.setFont("Helvetica", self.LABEL_SIZE)
        for index, (label, _) in enumerate(reversed(self.rows)):
            # Vertically centred on the row the way reportlab's Label centres one line (0.4 of the font size).
            canvas.drawRightString(left - self.TICK, bottom + (index + 0.5) * self.ROW - 0.4 * self.LABEL_SIZE,
                                   label)
        canvas.line(left, bottom, left + self.SCALE_WIDTH, bottom)
        for value in range(self.SCALE_MAX + 1):
            x = left + value / self.SCALE_MAX * self.SCALE_WIDTH
            canvas.line(x, bottom, x, bottom - self.TICK)
            canvas.drawCentredString(x, bottom - self.TICK - self.LABEL_SIZE, str(value))


def _group_chart(competencies: list[dict], group: str) -> GroupChart:
    rows = [(c["label"], c["by_group"][group]["mean"]) for c in competencies if group in c["by_group"]]
    return GroupChart(GROUP_LABELS.get(group, group), rows)


def report_pdf_render(data: ReportPdfData) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"Promotability report - {data.subject_name}",
                            author="PeaceCert")
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], ParagraphStyle("small", parent=styles["BodyText"], fontSize=8, leading=10)
    h1, h2 = styles["Title"], styles["Heading2"]
    notice = ParagraphStyle("notice", parent=body, borderColor=colors.HexColor("#a40e26"), borderWidth=1,
                            borderPadding=4, backColor=colors.HexColor("#fff5f5"))
    story = [
        _p("Promotability report (360 evaluation)", h1),
        _p(f"Candidate: {data.subject_name}", body),
        _p(f"Target position: {data.target_position}", body),
        _p(f"Sponsoring agency: {data.agency_name} - cycle {data.cycle_id}, closed {data.closed_on}", body),
        Spacer(1, 4),
        _p(data.notice or (NOTICE_AI if data.ai_assisted else NOTICE_BUILTIN), notice),
        Spacer(1, 6),
    ]
    if data.released_by:
        story.append(_p(f"Reviewed and released by {data.released_by} on {data.released_on}.", body))
    else:
        story.append(_p("DRAFT - awaiting review and sign-off by certification staff; not released.", body))

    story.append(_p("Readiness band", h2))
    band = data.band_final or data.band_computed
    story.append(_p(f"{BAND_LABELS.get(band, band)} (computed from the scores: "
                    f"{BAND_LABELS.get(data.band_computed, data.band_computed)})", body))
    if data.band_final and data.band_final != data.band_computed:
        story.append(_p(f"Overridden by the reviewer. Reason: {data.band_override_reason}", body))

    story.append(_p("Eligibility gates", h2))
    gate_names = {"certification": "Active officer certification", "findings": "No open or sustained finding",
                  "ce_hours": "Continuing education current"}
    rows = [["Gate", "Answer", "Detail"]]
    for key, label in gate_names.items():
        gate = data.eligibility.get(key, {"answer": "unknown", "detail": ""})
        rows.append([label, gate["answer"].upper(), _p(gate["detail"], small)])
    story.append(_table(rows, [60 * mm, 20 * mm, 94 * mm]))

    content = data.content
    shown = [g["relationship"] for g in content["groups"] if g["shown"]]
    story.append(_p("Competencies", h2))
    hidden = [g["label"] for g in content["groups"] if not g["shown"]]
    if hidden:
        story.append(_p("Not shown (fewer responses than the anonymity minimum): " + ", ".join(hidden) + ".", small))
    header = ["Competency", *[GROUP_LABELS[g] for g in shown], "Others", "Gap"]
    rows = [header]
    for c in content["competencies"]:
        cells = [_p(c["label"], small)]
        for g in shown:
            cell = c["by_group"].get(g)
            cells.append(f"{cell['mean']:.2f} (n={cell['n']})" if cell else "-")
        cells.append(f"{c['others']['mean']:.2f}" if c["others"] else "-")
        flag = {"blind_spot": " blind spot", "hidden_strength": " hidden strength"}.get(c["flag"] or "", "")
        cells.append(_p((f"{c['gap']:+.2f}" if c["gap"] is not None else "-") + flag, small))
        rows.append(cells)
    first = 44 * mm
    rest = (174 * mm - first) / (len(header) - 1)
    story.append(_table(rows, [first] + [rest] * (len(header) - 1)))
    for g in shown:
        story.append(Spacer(1, 4))
        story.append(_group_chart(content["competencies"], g))

    story.append(_p("Highest and lowest rated behaviours (others)", h2))
    for title, items in (("Highest", content["highest_items"]), ("Lowest", content["lowest_items"])):
        for item in items:
            story.append(_p(f"{title}: {item['text']} - {item['others_mean']:.2f}", small))

    comments = {c["id"]: c for c in content["comments"]}
    summary = data.summary or {}
    for section, title in (("strengths", "Strengths"), ("development_areas", "Development areas")):
        story.append(_p(title, h2))
        for point in summary.get(section, []):
            story.append(_p(f"{_competency_label(content, point['competency'])}: {point['summary']}", body))
            story.extend(_quotes(point["comment_ids"], comments, small))
    story.append(_p("Themes from comments", h2))
    for theme in summary.get("themes", []):
        story.append(KeepTogether([_p(f"{theme['title']}: {theme['summary']}", body),
                                   *_quotes(theme["comment_ids"], comments, small)]))
    story.append(_p("Narrative", h2))
    story.append(_p(summary.get("narrative", ""), body))
    story.append(Spacer(1, 8))
    story.append(_p(f"Summary written by: {data.summariser_label}; model {data.model or '-'}; prompt "
                    f"{data.prompt_version}; input SHA-256 {data.input_hash}.", small))
    story.append(_p("Raters are anonymous: no individual response or rater identity is shown or stored with the "
                    "answers. Quotes are edited to remove names and contact details.", small))
    doc.build(story)
    return buffer.getvalue()


def _competency_label(content: dict, key: str) -> str:
    return next((c["label"] for c in content["competencies"] if c["key"] == key), key)


def _quotes(ids: list[str], comments: dict, style) -> list:
    return [_p(f'"{comments[i]["text"]}" ({GROUP_LABELS.get(comments[i]["group"], "")})', style)
            for i in ids[:3] if i in comments]


def _table(rows, widths) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
    ]))
    return table
