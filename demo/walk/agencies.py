"""Demo steps for people and agencies: log in, see yourself, keep a roster, and agency isolation at work."""

from django.core.files.uploadedfile import SimpleUploadedFile

from agencies.models import Agency, Officer


def run(walk) -> None:
    walk.say("An agency administrator logs in and asks who they are:")
    walk.call("GET", "/api/v1/me/", as_user="admin_riverside")

    riverside = Agency.objects.get(name="Riverside Police Department")
    franklin = Agency.objects.get(name="Franklin County Sheriff's Office")
    walk.say("\nThey upload their roster as CSV (re-running the demo updates rather than duplicates):")
    roster = (
        b"license_number,first_name,last_name,rank,hire_date\n"
        b"CA-100206,Noah,Kim,Officer,2023-08-14\n"
        b"CA-100207,Zoe,Martin,Officer,2024-02-05\n"
        b"CA-100201,Maria,Alvarez,Sergeant,2014-03-01\n"
    )
    walk.call("POST", "/api/v1/officers/import/", as_user="admin_riverside",
              files={"file": SimpleUploadedFile("roster.csv", roster, content_type="text/csv")})

    walk.say("\nA roster with mistakes is refused whole, with row numbers, and nothing is written:")
    bad = b"license_number,first_name,last_name,hire_date\nCA-1,Ann,,2020-01-01\nCA-2,Bo,Diaz,01/02/2020\n"
    walk.call("POST", "/api/v1/officers/import/", as_user="admin_riverside",
              files={"file": SimpleUploadedFile("bad.csv", bad, content_type="text/csv")})

    walk.say("\nTheir officer list holds only their own agency's officers:")
    walk.call("GET", "/api/v1/officers/?page_size=3", as_user="admin_riverside")

    foreign = Officer.objects.filter(agency=franklin).first()
    walk.say(f"\nAsking for another agency's officer (id {foreign.pk}) looks exactly like asking for a missing one:")
    walk.call("GET", f"/api/v1/officers/{foreign.pk}/", as_user="admin_riverside")
    walk.call("GET", "/api/v1/officers/999999/", as_user="admin_riverside")

    walk.say(f"\nCertification staff see every agency and can edit one ({riverside.name}):")
    walk.call("PATCH", f"/api/v1/agencies/{riverside.pk}/", as_user="staff",
              body={"sworn_headcount": riverside.sworn_headcount})
