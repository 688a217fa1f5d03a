"""Demo steps for training: enrol officers (one waitlisted), record completion, get the certificate, verify it."""

from django.utils import timezone

from agencies.models import Agency, Officer
from training.models import PEACE_OFFICER_COURSE_CODE, Completion, TrainingSession


def run(walk) -> None:
    walk.say("Anyone signed in can read the course catalogue, with each state's accreditation:")
    walk.call("GET", "/api/v1/training/courses/", as_user="admin_riverside")

    now = timezone.now()
    session = (TrainingSession.objects.filter(course__code=PEACE_OFFICER_COURSE_CODE, starts_at__lte=now,
                                              ends_at__gt=now, instructor_assignments__user__username="instructor")
               .order_by("-starts_at").first())
    riverside = Agency.objects.get(name="Riverside Police Department")
    franklin_officer = Officer.objects.filter(agency__name="Franklin County Sheriff's Office").first()
    officers = list(Officer.objects.filter(agency=riverside, license_number__in=[
        "CA-100201", "CA-100202", "CA-100203", "CA-100204"]).order_by("license_number"))
    ids = [o.pk for o in officers]

    walk.say(f"\nRiverside's administrator enrols four officers in a session with {session.capacity} seats that "
             "started an hour ago; the fourth is waitlisted, and another agency's officer is refused as unknown "
             "(re-running the demo refuses them as duplicates):")
    response = walk.call("POST", f"/api/v1/training/sessions/{session.pk}/enrollments/", as_user="admin_riverside",
                         body={"officer_ids": [*ids, franklin_officer.pk]}, show=False)
    for row in response.json()["results"]:
        walk.say(f"    officer {row['officer_id']}: {row['result']}{' (' + row['code'] + ')' if row['code'] else ''}")

    walk.say("\nThe instructor sees the roster of the session they teach:")
    walk.call("GET", f"/api/v1/training/sessions/{session.pk}/enrollments/", as_user="instructor", show=False)

    walk.say("\nThe instructor records completion for two officers and a no-show for the third, in one request "
             "(all or nothing; completing awards the course's CE hours exactly once):")
    walk.call("POST", f"/api/v1/training/sessions/{session.pk}/attendance/", as_user="instructor", body={
        "records": [{"officer_id": ids[0], "status": "completed"}, {"officer_id": ids[1], "status": "completed"},
                    {"officer_id": ids[2], "status": "no_show"}]})

    walk.say("\nAn agency administrator may not record attendance:")
    walk.call("POST", f"/api/v1/training/sessions/{session.pk}/attendance/", as_user="admin_riverside",
              body={"records": [{"officer_id": ids[2], "status": "completed"}]})

    walk.say("\nMaria Alvarez's transcript for this year, as California counts it:")
    year = timezone.localdate().year
    walk.call("GET", f"/api/v1/training/officers/{ids[0]}/transcript/?from={year}-01-01&to={year}-12-31&state=CA",
              as_user="admin_riverside")

    completion = Completion.objects.filter(officer_id=ids[0], session=session).first()
    walk.say("\nHer completion certificate (PDF with a QR code of the verification address):")
    response = walk.call("GET", f"/api/v1/training/completions/{completion.pk}/certificate.pdf",
                         as_user="admin_riverside")
    walk.write_file(f"certificate-{completion.verification_code}.pdf", response.content)

    walk.say("\nAnyone can verify the code, without logging in (API, and the page the QR code opens):")
    walk.call("GET", f"/api/v1/public/verify/{completion.verification_code}/")
    page = walk.call("GET", f"/verify/{completion.verification_code}/")
    walk.say(f"  page says: {'Genuine and current' if b'Genuine and current' in page.content else 'see page'}")
    walk.say("\nAn unknown code is a 404:")
    walk.call("GET", "/api/v1/public/verify/0000-0000-0000-0000-0000/")
