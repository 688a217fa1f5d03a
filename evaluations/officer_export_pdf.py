"""The officer's own data export as a readable PDF summary: a pure function from the export document
(evaluations/officer_export.py) to bytes (reportlab only, no ORM). The JSON file is the complete copy; the PDF
summarises each part for a person to read."""

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.pdf import paragraph_text

BAND_LABELS = {"ready_now": "Ready now", "ready_1_2_years": "Ready in 1-2 years",
               "development_needed": "Development needed"}


def _date(value) -> str:
    if value is None or value == "":
        return "-"
    return f"{value.day} {value:%B %Y}" if hasattr(value, "day") else str(value)


def _table(rows: list[list], widths: list[float], style) -> Table:
    cells = [[Paragraph(paragraph_text(cell), style) for cell in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
    ]))
    return table


def officer_export_pdf(export: dict) -> bytes:
    officer = export["officer"]
    name = f"{officer['first_name']} {officer['last_name']}"
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"PeaceCert data export - {name}", author="PeaceCert")
    styles = getSampleStyleSheet()
    body, h1, h2 = styles["BodyText"], styles["Title"], styles["Heading2"]
    small = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    width = doc.width

    def p(text: str, style=body) -> Paragraph:
        return Paragraph(paragraph_text(text), style)

    story = [
        p("Everything PeaceCert holds about you", h1),
        p(f"{name} - licence {officer['license_number']} ({officer['state']}), {officer['agency_name']}"),
        p(f"Prepared on {_date(export['generated_at'])}. The JSON export is the complete copy; this is a summary."),
        Spacer(1, 6),
        p("Your record", h2),
        p(f"Rank: {officer['rank'] or '-'}; hired {_date(officer['hire_date'])}; date of birth "
          f"{_date(officer['date_of_birth'])}; e-mail on the roster: {officer['email'] or '-'}."),
        p(f"Account: {export['account']['username']} ({export['account']['email'] or 'no e-mail'})."),
    ]
    if officer["licenses"]:
        story.append(_table([["Licence", "State", "Held from", "Held until"]] + [
            [lic["license_number"], lic["state"], _date(lic["held_from"]), _date(lic["held_until"])]
            for lic in officer["licenses"]], [width * 0.4, width * 0.15, width * 0.225, width * 0.225], small))
    if officer["employment_history"]:
        story += [Spacer(1, 4), _table([["Agency", "Rank", "From", "Until"]] + [
            [job["agency_name"], job["rank"] or "-", _date(job["started_on"]), _date(job["ended_on"])]
            for job in officer["employment_history"]], [width * 0.4, width * 0.2, width * 0.2, width * 0.2], small)]

    training = export["training"]
    by_state = ", ".join(f"{state} {hours}" for state, hours in training["ce_hours_by_state"].items()) or "none"
    story += [p("Training and CE credits", h2),
              p(f"{training['ce_hours_total']} CE hours in all; accepted per state: {by_state}.")]
    if training["completions"]:
        story.append(_table([["Completed", "Course", "Hours", "Certificate"]] + [
            [_date(c["completed_on"]), f"{c['course_code']} {c['course_title']}", str(c["ce_hours"]),
             c["certificate_code"]] for c in training["completions"]],
            [width * 0.18, width * 0.47, width * 0.1, width * 0.25], small))
    if training["enrollments"]:
        story += [Spacer(1, 4), _table([["Session", "Course", "Status"]] + [
            [_date(e["session_starts_at"]), f"{e['course_code']} {e['course_title']}", e["status"]]
            for e in training["enrollments"]], [width * 0.2, width * 0.6, width * 0.2], small)]

    certification = export["good_officer_certification"]
    story.append(p("Good Officer Certification", h2))
    if certification["current"] is None:
        story.append(p("Never certified."))
    else:
        current = certification["current"]
        story.append(p(f"Status: {certification['status']}; cycle {_date(current['cycle_start'])} to "
                       f"{_date(current['valid_until'])}; first granted {_date(current['granted_at'])}."
                       + (f" Revoked on {_date(current['revoked_at'])} ({current['revocation_category']})."
                          if current["revoked_at"] else "")))
        for cycle in certification["cycles"]:
            story.append(p(f"Cycle {_date(cycle['cycle_start'])} to {_date(cycle['cycle_end'])}: "
                           f"{cycle['qualifying_hours']} qualifying hours.", small))
    if certification["permanently_ineligible"]:
        story.append(p("You are permanently ineligible for the Good Officer Certification."))

    story.append(p("Findings about you", h2))
    if not export["findings"]:
        story.append(p("None."))
    for finding in export["findings"]:
        story += [
            p(f"F-{finding['id']}: incident of {_date(finding['incident_date'])} ({finding['agency']}) - "
              f"{finding['status']}", styles["Heading4"]),
            p(finding["summary"]),
            p(f"Noticed {_date(finding['noticed_at'])}; answers until {_date(finding['response_due_on'])}."),
        ]
        for label, answers in (("Your answer", finding["own_answers"]), ("Your agency's answer",
                                                                        finding["agency_answers"])):
            for answer in answers:
                documents = ", ".join(d["name"] for d in answer["documents"])
                story.append(p(f"{label} ({_date(answer['received_at'])}): {answer['text']}"
                               + (f" [documents: {documents}]" if documents else ""), small))
        if finding["representative"]:
            story.append(p(f"Your representative: {finding['representative']['name']} "
                           f"({finding['representative']['email']}).", small))
        if finding["determination"]:
            story.append(p(f"Determination: {finding['determination']}. Reasons: {finding['determination_reason']}"))
        if finding["verified_at"]:
            story.append(p(f"Verified on {_date(finding['verified_at'])}."))

    story.append(p("360 reports released to you", h2))
    if not export["evaluation_reports"]:
        story.append(p("None."))
    for report in export["evaluation_reports"]:
        story.append(p(f"Cycle {report['cycle']} ({report['agency']}), for {report['target_position']}: "
                       f"{BAND_LABELS.get(report['band'], report['band'])}, released {_date(report['released_at'])}."
                       " Anonymised groups only; never who said what."))
    doc.build(story)
    return buffer.getvalue()
