"""Request examples for the OpenAPI document (realistic values a client would send), kept apart from the views."""

from drf_spectacular.utils import OpenApiExample

LOGIN = [
    OpenApiExample("Agency administrator", request_only=True,
                   value={"username": "j.carter", "password": "Harbour lantern 1987"}),
]

OFFICER_CREATE = [
    OpenApiExample("Agency administrator adds an officer", request_only=True, value={
        "first_name": "Maria", "last_name": "Alvarez", "state": "CA", "license_number": "CA-POST-48213",
        "rank": "Sergeant", "hire_date": "2016-03-14", "email": "m.alvarez@riverside-pd.example.org",
        "date_of_birth": "1986-09-02"}),
    OpenApiExample("Staff add an officer to an agency", request_only=True, value={
        "agency": 12, "first_name": "Daniel", "last_name": "Okafor", "state": "NV", "license_number": "NV-21877",
        "rank": "Officer", "hire_date": "2021-07-01"}),
]

ROSTER_IMPORT = [
    OpenApiExample("Roster CSV for one agency", request_only=True, media_type="multipart/form-data", value={
        "agency": 12,
        "file": "license_number,first_name,last_name,state,rank,hire_date,email\n"
                "CA-POST-48213,Maria,Alvarez,CA,Sergeant,2016-03-14,m.alvarez@riverside-pd.example.org\n"
                "CA-POST-51902,James,Whitfield,CA,Officer,2022-01-10,j.whitfield@riverside-pd.example.org\n"}),
]
