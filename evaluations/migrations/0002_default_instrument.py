"""Seed the programme's default 360 instrument (version 1).

The content is copied here, not imported, so that this migration means the same thing forever. Later versions are
made through the API (editing a used instrument creates a new version). `services.instrument_default_ensure`
re-creates it where a test flushed the tables.
"""

from django.db import migrations

KEY = 'peace-officer-leadership-360'
ITEMS = {'community_engagement': ['Builds relationships with residents and community groups beyond enforcement contacts.',
                          'Involves the community in identifying and solving local problems.',
                          'Is visible and approachable in the community.'],
 'de_escalation': ['Uses time, distance and communication to calm tense situations.',
                   'Chooses the least intrusive effective option.',
                   'Coaches others to slow situations down.'],
 'cultural_competency': ['Treats people of every background with respect.',
                         'Adapts their approach to language and cultural differences.',
                         'Recognises and addresses bias in themself and the team.'],
 'procedural_justice': ['Explains decisions and the reasons for them.',
                        'Gives people a voice before deciding.',
                        'Treats people with dignity, including when enforcing the law.'],
 'integrity_accountability': ['Acts honestly and ethically when nobody is watching.',
                              'Owns mistakes and reports problems.',
                              'Holds others accountable consistently and fairly.'],
 'communication': ['Communicates clearly and in time.',
                   'Listens actively and checks understanding.',
                   'Keeps the team and partners informed.'],
 'decision_making': ['Makes sound decisions under pressure.',
                     'Weighs evidence, risks and community impact.',
                     'Decides at the right time and explains the trade-offs.'],
 'leadership': ['Sets a clear direction and example.',
                'Builds trust and morale in the team.',
                'Delegates and supports people in their work.'],
 'developing_others': ['Gives useful, timely feedback.',
                       'Creates opportunities for others to learn and grow.',
                       'Mentors and coaches colleagues.']}
QUESTIONS = [('What should this person keep doing?', False), ('What should this person start or do differently?', False), ('Anything else the report should consider?', False)]


def seed(apps, schema_editor):
    Instrument = apps.get_model("evaluations", "Instrument")
    Competency = apps.get_model("evaluations", "Competency")
    Item = apps.get_model("evaluations", "Item")
    Question = apps.get_model("evaluations", "Question")
    if Instrument.objects.filter(key=KEY).exists():
        return
    instrument = Instrument.objects.create(
        key=KEY, version=1, title="Peace Officer leadership 360",
        description="The programme's default 360 instrument: nine competencies, three behaviours each.")
    for position, (key, texts) in enumerate(ITEMS.items()):
        competency = Competency.objects.create(instrument=instrument, key=key, position=position)
        for index, text in enumerate(texts):
            Item.objects.create(competency=competency, text=text, position=index)
    for index, (text, required) in enumerate(QUESTIONS):
        Question.objects.create(instrument=instrument, text=text, required=required, position=index)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
