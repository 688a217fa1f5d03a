"""core.rows.CompiledRows: the ORM builds and compiles a hot read once; every call gives what the ORM would."""

import pytest
from django.db.models.sql.compiler import SQLCompiler

from agencies.models import Officer
from core.rows import CompiledRows, rows
from tests.factories import AgencyFactory, OfficerFactory

pytestmark = pytest.mark.django_db
SHAPE = {"id": "id", "agency_name": "agency__name", "hire_date": "hire_date", "created_at": "created_at"}


def _by_agency(officer_id, agency_id):
    return Officer.objects.filter(pk=officer_id, agency_id=agency_id)


def test_each_call_gives_what_the_orm_gives_for_its_own_values():
    compiled = CompiledRows(_by_agency, SHAPE)
    first, second = OfficerFactory(), OfficerFactory()
    for officer in (first, second):
        expected = rows(_by_agency(officer.pk, officer.agency_id), SHAPE)
        assert compiled.rows(officer_id=officer.pk, agency_id=officer.agency_id) == expected
        assert type(expected[0]["hire_date"]) is type(officer.hire_date)  # converted as the ORM converts
    assert compiled.rows(officer_id=first.pk, agency_id=second.agency_id) == []  # the values land where they belong


def test_the_query_is_compiled_once_however_often_it_runs(monkeypatch):
    compiled = CompiledRows(_by_agency, SHAPE)
    officers = [OfficerFactory() for _ in range(3)]
    compiles = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiles.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    for officer in officers * 2:
        assert compiled.rows(officer_id=officer.pk, agency_id=officer.agency_id)[0]["id"] == officer.pk
    assert compiles == [Officer]


def test_a_value_that_is_not_an_integer_takes_the_orm_path():
    officer = OfficerFactory()
    compiled = CompiledRows(_by_agency, SHAPE)
    assert compiled.rows(officer_id=str(officer.pk), agency_id=officer.agency_id)[0]["id"] == officer.pk


def test_a_build_the_orm_knows_is_empty_answers_nothing():
    OfficerFactory(agency=AgencyFactory())
    compiled = CompiledRows(lambda officer_id: Officer.objects.none().filter(pk=officer_id), SHAPE)
    assert compiled.rows(officer_id=1) == []
