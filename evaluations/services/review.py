"""Staff review of a ready report (edit the narrative/themes, or use the built-in summary) and the signed release."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.access import field_error
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.notifications import email_send_on_commit

from ..models import Cycle, CycleStatus, ReadinessBand, Report, Summariser
from ._common import _cycle_transition, _require_staff_member
from .pipeline import _builtin_fields, _known_names, _roster_names, report_pdf_data

REVIEW_RULES = {
    "schema": "Too long or malformed (narrative at most 4000 characters; at most 10 themes, each with a title of at "
              "most 120 and a summary of at most 600 characters, citing at most 20 comment ids).",
    "unknown_comment_id": "Cites a comment id that is not in this report.",
    "personal_data": "Contains personal data (a name, e-mail, phone, id or licence number, address, age or date of "
                     "birth).",
    "link": "Contains a link.",
    "readiness_claim": "Claims readiness, promotion or eligibility: the readiness band and the eligibility gates "
                       "state those, by rule.",
}


def _report_for_review(*, cycle: Cycle, actor) -> Report:
    _require_staff_member(actor, "review reports")
    report = Report.objects.select_for_update().select_related("cycle__subject", "cycle__agency").filter(
        cycle=cycle).first()
    current = Cycle.objects.filter(pk=cycle.pk).values_list("status", flat=True).first()
    if report is None or current != CycleStatus.REPORT_READY:
        raise ApplicationError("report_not_ready", "Only a report that is ready and not yet released can be "
                               "reviewed.", status_code=409)
    return report


def _review_stamp(actor, action: str, fields: list[str]) -> dict:
    return {"action": action, "fields": fields, "by": actor.get_full_name() or actor.get_username(),
            "by_id": actor.pk, "at": timezone.now().isoformat()}


def _review_save(report: Report, *, fields: list[str]) -> None:
    from ..pdf import report_pdf_render

    # The draft PDF shows what will be released.
    report.pdf = report_pdf_render(report_pdf_data(report))
    report.save(update_fields=[*fields, "review", "pdf"])


def report_review_edit(*, cycle: Cycle, actor, narrative: str | None = None,
                       themes: list[dict] | None = None) -> Report:
    """Staff edit the narrative and/or themes before release. The edit passes the same rules as a model's answer
    (lengths, cited ids, no personal data, links or readiness claims); before and after go to the audit ledger."""
    from ..summary import SummaryRejected, summary_validate

    edited = [name for name, value in (("narrative", narrative), ("themes", themes)) if value is not None]
    if not edited:
        raise field_error("narrative", "Give the narrative, the themes or both.")
    with transaction.atomic():
        report = _report_for_review(cycle=cycle, actor=actor)
        before = report.summary or {"strengths": [], "development_areas": [], "themes": [], "narrative": ""}
        after = {**before, **({"narrative": narrative} if narrative is not None else {}),
                 **({"themes": themes} if themes is not None else {})}
        check = {"comment_ids": {c["id"] for c in report.content["comments"]},
                 "names": _known_names(report.cycle), "roster": _roster_names(report.cycle),
                 "competency_keys": [c["key"] for c in report.content["competencies"]]}
        errors = {}
        for name in edited:
            probe = {"strengths": [], "development_areas": [], "themes": after["themes"] if name == "themes" else [],
                     "narrative": after["narrative"] if name == "narrative" else "-"}
            try:
                summary_validate(probe, **check)
            except SummaryRejected as exc:
                errors[name] = REVIEW_RULES.get(exc.category, exc.category)
        if errors:
            raise ApplicationError("review_text_rejected", "The edited summary breaks a rule.",
                                   fields={k: [v] for k, v in errors.items()})
        try:
            after = summary_validate(after, **check, development_areas=report.development_areas)
        except SummaryRejected as exc:
            raise field_error(edited[0], REVIEW_RULES.get(exc.category, exc.category), code="review_text_rejected",
                              summary="The edited summary breaks a rule.") from None
        report.summary = after
        report.review = _review_stamp(actor, "edited", edited)
        _review_save(report, fields=["summary"])
        audit_record(actor=actor, action="evaluation_report.summary_edited", target=report, data={
            "fields": edited, "before": {k: before.get(k) for k in edited}, "after": {k: after[k] for k in edited}})
    return report


def report_review_use_builtin(*, cycle: Cycle, actor) -> Report:
    """Staff replace the summary (the model's, or an edited one) with the built-in deterministic summary."""
    with transaction.atomic():
        report = _report_for_review(cycle=cycle, actor=actor)
        before = report.summary
        fields = _builtin_fields(report)
        if report.summariser == Summariser.LLM:
            fields["llm_error"] = "replaced_by_reviewer: a staff reviewer replaced the model's summary with the " \
                                  "built-in one"
        for name, value in fields.items():
            setattr(report, name, value)
        report.review = _review_stamp(actor, "builtin", ["narrative", "themes", "strengths", "development_areas"])
        _review_save(report, fields=list(fields))
        audit_record(actor=actor, action="evaluation_report.summary_replaced", target=report, data={
            "before": before, "after": report.summary, "summariser": report.summariser})
    return report


def report_release(*, cycle: Cycle, actor, band: str | None = None, reason: str = "") -> Report:
    """A named staff reviewer signs the report off, optionally overriding the band with a written reason."""
    from ..pdf import report_pdf_render

    _require_staff_member(actor, "release reports")
    reason = (reason or "").strip()
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("cycle__subject", "cycle__agency").get(
            cycle=cycle)
        final = band or report.band_computed
        if final not in ReadinessBand.values:
            raise field_error("band", "Unknown readiness band.")
        if final != report.band_computed and len(reason) < 10:
            raise field_error("reason", "Overriding the computed band needs a written reason (10 characters or "
                                        "more).", code="override_reason_required")
        _cycle_transition(cycle=cycle, to=CycleStatus.RELEASED, actor=actor,
                    data={"band_computed": report.band_computed, "band_final": final})
        report.band_final, report.released_by, report.released_at = final, actor, cycle.released_at
        report.band_override_reason = reason if final != report.band_computed else ""
        # The release records who reviewed: the releasing staff member, next to any earlier edit's author.
        report.review = {**(report.review or {}), "released_by": actor.get_full_name() or actor.get_username(),
                         "released_by_id": actor.pk, "released_at": cycle.released_at.isoformat()}
        report.pdf = report_pdf_render(report_pdf_data(report))
        report.save(update_fields=["band_final", "band_override_reason", "released_by", "released_at", "review",
                                   "pdf"])
        if final != report.band_computed:
            audit_record(actor=actor, action="evaluation_report.band_overridden", target=report,
                         data={"from": report.band_computed, "to": final, "reason": reason})
        audit_record(actor=actor, action="evaluation_report.released", target=report,
                     data={"band_final": final, "reviewer": actor.get_username(), "reviewer_id": actor.pk,
                           "summariser": report.summariser, "summary_review": report.review})
        admins = list(cycle.agency.administrators.filter(is_active=True).exclude(email="")
                      .values_list("email", flat=True))
        email_send_on_commit(
            to=admins, subject=f"360 report released: {report.cycle.subject.full_name}",
            body=f"The promotability report of cycle {cycle.pk} was reviewed and released. It is advisory; the "
                 f"decision rests with the agency.\n{settings.PUBLIC_BASE_URL}/api/v1/evaluations/cycles/"
                 f"{cycle.pk}/report/\n",
        )
    return report
