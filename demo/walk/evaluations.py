"""Demo steps for 360 evaluations: a Riverside officer's cycle from invitation to the released promotability report."""

import random
import re
import time
from datetime import timedelta

from django.core import mail
from django.test import TestCase
from django.test.utils import override_settings
from django.utils import timezone

from agencies.models import Officer

RATERS = [
    # (name, relationship, tendency): tendency shifts the rater's scores
    ("Lena Park", "self", 0.6),
    ("Aisha Bello", "supervisor", 0.2),
    ("Chris Young", "peer", 0.0),
    ("Dana Wolfe", "peer", 0.3),
    ("Eli Stone", "peer", -0.2),
    ("Farah Haddad", "peer", 0.1),
    ("Gus Moreno", "direct_report", 0.4),
    ("Hana Ito", "direct_report", 0.2),
    ("Ivan Petrov", "direct_report", 0.0),
    ("Joy Adams", "community", 0.5),
    ("Kofi Mensah", "community", 0.3),
]
COMMENTS = {
    "peer": ["She stays calm when tension rises and explains her decisions clearly.",
             "Could delegate more; she takes on too much herself."],
    "direct_report": ["Gives useful feedback and makes time to mentor new officers.",
                      "Sometimes decides quickly without hearing the team first."],
    "supervisor": ["Reliable, honest, owns mistakes. Needs to build more community partnerships."],
    "self": ["I want to grow in community engagement."],
    "community": ["Lieutenant Park came to our block meetings twice; call her at 555-201-7788 if needed."],
}


def _answers(form: dict, rng: random.Random, tendency: float, relationship: str) -> dict:
    scores = {}
    for competency in form["competencies"]:
        base = 3.6 + tendency + (0.5 if competency["key"] in {"integrity_accountability", "communication"} else 0)
        base -= 0.7 if competency["key"] == "community_engagement" and relationship != "self" else 0
        for item in competency["items"]:
            if relationship == "community" and rng.random() < 0.3:
                scores[str(item["id"])] = "not_observed"
            else:
                scores[str(item["id"])] = max(1, min(5, round(base + rng.uniform(-0.8, 0.8))))
    texts = COMMENTS[relationship]
    comments = {str(q["id"]): texts[i] for i, q in enumerate(form["questions"][:len(texts)])}
    return {"scores": scores, "comments": comments}


def _committed():
    """Run after-commit work (e-mails, the report pipeline) now. Outside a transaction (manage.py demo) it already
    ran; inside one (the demo's own test) this executes the captured callbacks, like a commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def run(walk) -> None:
    # E-mails are kept in memory (not printed) so the demo can read the links out of them.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        _run(walk)


def _run(walk) -> None:
    officer = Officer.objects.get(state="CA", license_number="CA-100203")  # Lt. Lena Park, Riverside PD
    now = timezone.now()
    walk.say(f"Riverside's administrator starts a 360 for {officer.full_name} (target: Captain):")
    created = walk.call("POST", "/api/v1/evaluations/cycles/", as_user="admin_riverside", body={
        "subject": officer.pk, "target_position": "Captain", "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=14)).isoformat()}, show=False)
    cycle_id = created.json()["id"]
    base = f"/api/v1/evaluations/cycles/{cycle_id}"

    walk.say("\nThey invite the raters: self, supervisor, four peers, three direct reports, two community partners:")
    for name, relationship, _ in RATERS:
        email = name.lower().replace(" ", ".") + f".{cycle_id}@demo.peacecert.invalid"
        walk.call("POST", f"{base}/invitations/", as_user="admin_riverside",
                  body={"rater_name": name, "rater_email": email, "relationship": relationship}, show=False)
    walk.say("\nThe sponsor cannot rate their own candidate, not even from a +tagged address (a sock puppet):")
    walk.call("POST", f"{base}/invitations/", as_user="admin_riverside", body={
        "rater_name": "P. Peer", "rater_email": "Admin_Riverside+p1@demo.peacecert.invalid", "relationship": "peer"})

    walk.say("\nNo link goes out before certification staff approve the rater list:")
    mail.outbox = []
    walk.call("POST", f"{base}/open/", as_user="admin_riverside")
    version = walk.call("GET", f"{base}/", as_user="staff", show=False).json()["raters"]["version"]
    walk.say("\nStaff review names, addresses and relationships, and approve the version they read:")
    walk.call("POST", f"{base}/raters/approve/", as_user="staff", body={"version": version}, show=False)
    walk.say("\nTwo community partners are under the anonymity minimum of three: the cycle cannot open so:")
    walk.call("POST", f"{base}/open/", as_user="admin_riverside")
    extra = f"lee.chan.{cycle_id}@demo.peacecert.invalid"
    walk.call("POST", f"{base}/invitations/", as_user="admin_riverside",
              body={"rater_name": "Lee Chan", "rater_email": extra, "relationship": "community"}, show=False)
    version = walk.call("GET", f"{base}/", as_user="staff", show=False).json()["raters"]
    walk.say(f"  a third partner is invited; the list is back to {version['status']!r} (version "
             f"{version['version']}) until staff approve it again")
    walk.call("POST", f"{base}/raters/approve/", as_user="staff", body={"version": version["version"]},
              show=False)
    walk.say(f"  still no e-mail sent: {len(mail.outbox)}")

    walk.say("\nOpening the cycle e-mails every rater a personal link (the demo reads the links from the e-mails):")
    with _committed():
        walk.call("POST", f"{base}/open/", as_user="admin_riverside", show=False)
    links = {}
    for message in mail.outbox:
        match = re.search(r"/feedback/([\w-]+)/", message.body)
        if match:
            links[message.to[0]] = match.group(1)
    walk.say(f"  {len(links)} invitation e-mails sent; e.g. subject: {mail.outbox[0].subject!r}")

    rng = random.Random(cycle_id)
    for index, (name, relationship, tendency) in enumerate(RATERS):
        email = name.lower().replace(" ", ".") + f".{cycle_id}@demo.peacecert.invalid"
        token = links[email]
        form = walk.client.get(f"/api/v1/feedback/{token}/").json()
        answers = _answers(form, rng, tendency, relationship)
        if index == 0:
            walk.say("\nThe subject opens their link (no account) and saves a draft first:")
            walk.call("PUT", f"/api/v1/feedback/{token}/", body={"scores": dict(list(answers["scores"].items())[:3])},
                      show=False)
        if index in (2, 6):
            walk.say(f"\nA {relationship.replace('_', ' ')} answers through the web form at /feedback/<token>/:")
            data = {f"score-{k}": v for k, v in answers["scores"].items()}
            data.update({f"comment-{k}": v for k, v in answers["comments"].items()})
            data["action"] = "submit"
            response = walk.client.post(f"/feedback/{token}/", data)
            walk.say(f"  POST /feedback/<token>/ -> {response.status_code} "
                     f"({'Thank you' if b'Thank you' in response.content else 'form shown again'})")
            continue
        walk.call("POST", f"/api/v1/feedback/{token}/", body=answers, show=index == 1)

    token = next(iter(links.values()))
    walk.say("\nA link can be used once; a second submission is refused:")
    walk.call("POST", f"/api/v1/feedback/{token}/", body={})
    walk.say("\nAn unknown link is a clear 404 (and counts toward the per-address guess limit):")
    walk.call("GET", "/api/v1/feedback/not-a-real-token/")
    walk.say("\nThe third community partner has not answered; the sponsor re-sends the invitation (a new link, the "
             "old one dies). The list shows who answered, never what:")
    lee = next(i for i in walk.call("GET", f"{base}/invitations/?page_size=100", as_user="admin_riverside",
                                    show=False).json()["results"] if i["rater_email"] == extra)
    with _committed():
        walk.call("POST", f"{base}/invitations/{lee['id']}/resend/", as_user="admin_riverside", show=False)
    walk.say(f"  old link now: {walk.client.get(f'/api/v1/feedback/{links[extra]}/').status_code}; "
             f"statuses: {sorted(i['status'] for i in walk.call('GET', f'{base}/invitations/?page_size=100', as_user='admin_riverside', show=False).json()['results'])}")  # noqa: E501

    walk.say("\nThe sponsor closes the cycle; the pipeline aggregates, summarises, renders and notifies:")
    with _committed():
        walk.call("POST", f"{base}/close/", as_user="admin_riverside", show=False)
    # The close answered at once; without a broker the pipeline runs in a background thread: follow the timeline.
    waited_until = time.monotonic() + 180
    detail = walk.call("GET", f"{base}/", as_user="admin_riverside", show=False).json()
    while detail["status"] == "closed" and time.monotonic() < waited_until:
        time.sleep(0.2)
        detail = walk.call("GET", f"{base}/", as_user="admin_riverside", show=False).json()
    for step in detail["timeline"]:
        walk.say(f"  {step['label']:<17} started {step['started_at']}  finished {step['finished_at']}")
    walk.say(f"  72-hour promise met: {detail['report_promise']['met']} (status {detail['status']})")

    walk.say("\nBefore release the agency cannot see the report (same 404 as a missing one):")
    walk.call("GET", f"{base}/report/", as_user="admin_riverside")
    walk.say("\nCertification staff read it: the community group (2 of 3 answered) is dropped, scores and comments; "
             "groups under five raters show mean and n only (no min, max or spread):")
    report = walk.call("GET", f"{base}/report/", as_user="staff", show=False).json()
    for group in report["content"]["groups"]:
        shown = f"shown, {group['responses']} responses" if group["shown"] else "not shown"
        walk.say(f"  {group['label']:<28} {shown}")
    walk.say(f"  readiness band (computed by rule): {report['band']['computed']}; summary by: "
             f"{report['provenance']['summariser']}; development areas: {report['development_areas']}")
    walk.say(f"  eligibility: { {k: v['answer'] for k, v in report['eligibility'].items()} }")

    walk.say("\nA staff reviewer signs it off; now the sponsoring agency sees it and its PDF:")
    with _committed():
        walk.call("POST", f"{base}/report/release/", as_user="staff", body={}, show=False)
    walk.call("GET", f"{base}/report/", as_user="admin_riverside", show=False)
    pdf = walk.call("GET", f"{base}/report.pdf", as_user="admin_riverside", show=False)
    walk.write_file(f"promotability-report-{cycle_id}.pdf", pdf.content)
