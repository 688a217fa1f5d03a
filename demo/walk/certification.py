"""Demo steps for certification: Riverside is certified (refused first, with the unmet items named), its plaque is
written under MEDIA_ROOT/demo/, a sustained finding is verified under the two-person rule, and the public registry
shows the officer as revoked. Re-running renews Riverside's certificate and skips the finding already verified."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agencies.models import Agency, Officer
from certification.models import (
    AgencyCertification,
    AgencyCertificationStatus,
    CertificationProgramme,
    Finding,
    FindingStatus,
)
from certification.selectors import agency_trained_share
from demo.data.certification import PROGRAMME_CODE

BASE = "/api/v1/certification"
RIVERSIDE = "Riverside Police Department"
FINDING_OFFICER_LICENCE = "CA-100202"  # James Okafor
ROSTER_ADDITIONS = (
    b"license_number,first_name,last_name,rank,hire_date\n"
    b"CA-100208,Priya,Shah,Officer,2020-05-04\n"
    b"CA-100209,Marcus,Green,Officer,2018-09-17\n"
    b"CA-100210,Elena,Rossi,Sergeant,2013-01-07\n"
    b"CA-100211,Sam,Whitfield,Officer,2022-03-21\n"
    b"CA-100212,Hana,Sato,Officer,2021-11-08\n"
)


def _line(body: dict, code: str) -> int:
    return next(item["status_id"] for item in body["checklist"] if item["code"] == code)


def _application(walk, riverside, programme) -> dict:
    """Apply — or, when Riverside is already certified (a second run), renew; or continue an open application."""
    current = AgencyCertification.objects.filter(agency=riverside, programme=programme).order_by("-id").first()
    if current is None or current.status == AgencyCertificationStatus.REVOKED:
        walk.say("Riverside's administrator applies for the Peace Officer Agency Certification:")
        return walk.call("POST", f"{BASE}/agency-certifications/", as_user="admin_riverside",
                         body={"programme": programme.pk}).json()
    if current.status in (AgencyCertificationStatus.ISSUED, AgencyCertificationStatus.EXPIRED):
        walk.say("Riverside is already certified (an earlier run): its administrator starts the renewal, which "
                 "restarts the checklist:")
        return walk.call("POST", f"{BASE}/agency-certifications/{current.pk}/renew/", as_user="admin_riverside").json()
    walk.say("Riverside's application is already open; its administrator reads the checklist:")
    return walk.call("GET", f"{BASE}/agency-certifications/{current.pk}/", as_user="admin_riverside").json()


def run(walk) -> None:
    riverside = Agency.objects.get(name=RIVERSIDE)
    programme = CertificationProgramme.objects.get(code=PROGRAMME_CODE)
    application = _application(walk, riverside, programme)
    cert_id = application["id"]

    if application["status"] == "applied":
        walk.say("\nThe agency signs its commitment, uploads its use-of-force manual and submits:")
        walk.call("POST", f"{BASE}/requirement-statuses/{_line(application, 'commitment')}/attest/",
                  as_user="admin_riverside", body={"text": "Riverside commits to the Peace Officer principles.",
                                                   "attested_by_name": "Chief Robin Diaz"})
        walk.call("POST", f"{BASE}/requirement-statuses/{_line(application, 'policy_manual')}/document/",
                  as_user="admin_riverside",
                  files={"file": SimpleUploadedFile("use-of-force-manual.pdf", b"%PDF-1.4 demo manual",
                                                    content_type="application/pdf")})
        walk.call("POST", f"{BASE}/agency-certifications/{cert_id}/submit/", as_user="admin_riverside")

    walk.say("\nStaff try to issue too early: refused (409), naming every unmet requirement:")
    walk.call("POST", f"{BASE}/agency-certifications/{cert_id}/issue/", as_user="staff")

    walk.say("\nStaff verify the Promise event, the symbol programme, both policies and the manual:")
    for code in ("promise_event", "symbol_programme", "chokehold_ban", "body_worn_camera", "policy_manual"):
        walk.call("POST", f"{BASE}/requirement-statuses/{_line(application, code)}/mark/", as_user="staff",
                  body={"state": "met", "note": "Checked on site visit"}, show=False)

    share = agency_trained_share(agency=riverside)
    if share is not None and not share.met:
        walk.say(f"\nOnly {share.completed} of {share.denominator} sworn officers completed the Peace Officer course. "
                 "Riverside uploads its full roster and staff import its officers' course records into training:")
        walk.call("POST", "/api/v1/officers/import/", as_user="admin_riverside",
                  files={"file": SimpleUploadedFile("roster.csv", ROSTER_ADDITIONS, content_type="text/csv")})
        completed_on = (timezone.localdate() - timezone.timedelta(days=30)).isoformat()
        rows = [f"CA,{o.license_number},PO-101,{completed_on}" for o in Officer.objects.filter(agency=riverside)]
        csv_bytes = ("state,license_number,course_code,completed_on\n" + "\n".join(rows)).encode()
        walk.call("POST", "/api/v1/training/completions/import/", as_user="staff",
                  files={"file": SimpleUploadedFile("po101-history.csv", csv_bytes, content_type="text/csv")})

    walk.say("\nNow every requirement is met: staff issue the certificate, which orders the plaque:")
    issued = walk.call("POST", f"{BASE}/agency-certifications/{cert_id}/issue/", as_user="staff").json()
    plaque_id = issued.get("plaque")
    if plaque_id:
        pdf = walk.call("GET", f"{BASE}/plaques/{plaque_id}/plaque.pdf", as_user="admin_riverside", show=False)
        walk.write_file("riverside-plaque.pdf", pdf.content)
        walk.say("\nStaff record that the plaque was printed; the public verification page its QR code opens:")
        walk.call("POST", f"{BASE}/plaques/{plaque_id}/advance/", as_user="staff", body={"to": "printed"})
        walk.call("GET", f"/api/v1/public/agency-certificates/{issued['certificate_number']}/")

    _finding_walk(walk)


def _finding_walk(walk) -> None:
    officer = Officer.objects.get(state="CA", license_number=FINDING_OFFICER_LICENCE)
    if not Finding.objects.filter(officer=officer, status=FindingStatus.VERIFIED).exists():
        walk.say(f"\n{officer.full_name} holds a Good Officer Certification (8 CE hours this cycle):")
        walk.call("POST", f"{BASE}/officer-certifications/", as_user="staff", body={"officer": officer.pk})

        walk.say("\nStaff record an excessive-force finding, and the notice opens the response window:")
        finding = walk.call("POST", f"{BASE}/findings/", as_user="staff", body={
            "officer": officer.pk, "incident_date": str(timezone.localdate() - timezone.timedelta(days=60)),
            "summary": "Use of force on a restrained person during an arrest.",
            "evidence_references": ["BWC-2291", "IA-2026-014"], "source": "internal_affairs"}).json()
        walk.call("POST", f"{BASE}/findings/{finding['id']}/notice/", as_user="staff", show=False)
        walk.say("The agency files the officer's response (it sees the recorder only as 'staff'):")
        walk.call("POST", f"{BASE}/findings/{finding['id']}/response/", as_user="admin_riverside",
                  body={"text": "The officer states the person was resisting."}, show=False)
        walk.call("POST", f"{BASE}/findings/{finding['id']}/determine/", as_user="staff",
                  body={"determination": "sustained", "reason": "Body-camera footage shows no resistance."},
                  show=False)
        walk.say("\nThe staff member who determined it cannot verify it (two-person rule):")
        walk.call("POST", f"{BASE}/findings/{finding['id']}/verify/", as_user="staff")
        walk.say("\nA second staff member verifies it: the certification is revoked, permanently:")
        walk.call("POST", f"{BASE}/findings/{finding['id']}/verify/", as_user="staff2")
    else:
        walk.say(f"\n{officer.full_name}'s finding was verified in an earlier run.")

    walk.say("\nNo one can certify the officer again:")
    walk.call("POST", f"{BASE}/officer-certifications/", as_user="staff2", body={"officer": officer.pk})
    walk.say("\nThe public registry shows the revocation (date and category, never the finding's details):")
    walk.call("GET", f"/api/v1/public/officers/?q={officer.last_name}")
    walk.call("GET", f"/api/v1/public/eligibility/?state=CA&licence={officer.license_number}")
    walk.call("GET", "/api/v1/public/metrics/")
