"""Names that are data, translatable: conditions, condition groups and exchange categories,
with the Urdu name of every shipped one

Revision ID: 0019_translatable_names
Revises: 0017_privacy
Create Date: 2026-12-01 15:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0019_translatable_names"
down_revision = "0017_privacy"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "name_translation",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("kind", "code", "locale", name=op.f("pk_name_translation")),
    )
    table = sa.table(
        "name_translation",
        sa.column("kind", sa.String),
        sa.column("code", sa.String),
        sa.column("locale", sa.String),
        sa.column("name", sa.String),
    )
    op.bulk_insert(
        table,
        [
            {"kind": kind, "code": code, "locale": "ur", "name": name}
            for kind, names in (
                ("condition", URDU_CONDITIONS),
                ("condition_group", URDU_CONDITION_GROUPS),
                ("category", URDU_CATEGORIES),
            )
            for code, name in names.items()
        ],
    )


def downgrade():
    op.drop_table("name_translation")


# Hand-written: the Urdu names of the shipped conditions (by code, as seeded in 0003_peers),
# their groups (by the group as stored) and the exchange categories (app/timebank/categories.py).

URDU_CONDITIONS = {
    "type_1_diabetes": "ٹائپ 1 ذیابیطس",
    "type_2_diabetes": "ٹائپ 2 ذیابیطس",
    "copd": "سی او پی ڈی (پھیپھڑوں کی دائمی بیماری)",
    "asthma": "دمہ",
    "long_covid": "لانگ کووڈ",
    "heart_failure": "دل کی کمزوری (ہارٹ فیلیئر)",
    "coronary_heart_disease": "دل کی شریانوں کی بیماری",
    "stroke": "فالج (اسٹروک)",
    "multiple_sclerosis": "ملٹیپل اسکلیروسس (ایم ایس)",
    "parkinsons": "پارکنسنز کی بیماری",
    "motor_neurone_disease": "موٹر نیورون کی بیماری (ایم این ڈی)",
    "epilepsy": "مرگی",
    "acquired_brain_injury": "دماغی چوٹ",
    "spinal_cord_injury": "ریڑھ کی ہڈی کی چوٹ",
    "cerebral_palsy": "سیریبرل پالسی",
    "huntingtons": "ہنٹنگٹن کی بیماری",
    "muscular_dystrophy": "مسکولر ڈسٹروفی (پٹھوں کی کمزوری کی بیماری)",
    "me_cfs": "ایم ای یا دائمی تھکاوٹ کی بیماری",
    "dementia": "ڈیمنشیا",
    "alzheimers": "الزائمر کی بیماری",
    "psychosis": "سائیکوسس",
    "schizophrenia": "شیزوفرینیا",
    "bipolar": "بائی پولر ڈس آرڈر",
    "depression": "ڈپریشن",
    "anxiety": "بے چینی (اینگزائٹی)",
    "eating_disorder": "کھانے پینے کی بیماری (ایٹنگ ڈس آرڈر)",
    "personality_disorder": "پرسنالٹی ڈس آرڈر",
    "ptsd": "صدمے کے بعد کا ذہنی دباؤ (پی ٹی ایس ڈی)",
    "autism": "آٹزم",
    "adhd": "اے ڈی ایچ ڈی",
    "learning_disability": "سیکھنے کی معذوری",
    "downs_syndrome": "ڈاؤن سنڈروم",
    "sight_loss": "بینائی کا کم ہونا",
    "hearing_loss": "بہرا پن یا کم سنائی دینا",
    "deafblind": "بہرا اور نابینا پن",
    "arthritis": "جوڑوں کا درد (اوسٹیو آرتھرائٹس)",
    "rheumatoid_arthritis": "گٹھیا (ریومیٹائڈ آرتھرائٹس)",
    "chronic_pain": "دائمی درد",
    "fibromyalgia": "فائبرومائلجیا",
    "amputation": "کسی عضو کا کٹ جانا (ایمپیوٹیشن)",
    "physical_disability": "جسمانی معذوری",
    "chronic_kidney_disease": "گردوں کی دائمی بیماری",
    "cancer": "کینسر کے ساتھ یا اس کے بعد زندگی",
    "crohns_colitis": "کرونز کی بیماری یا السریٹو کولائٹس",
    "continuing_healthcare": "این ایچ ایس کی مسلسل نگہداشت (پیچیدہ ضروریات)",
    "end_of_life": "زندگی کے آخری دنوں کی نگہداشت",
    "frailty": "بڑھاپے کی کمزوری",
    "alcohol_dependency": "شراب کی لت",
    "drug_dependency": "نشے کی لت",
}

URDU_CONDITION_GROUPS = {
    "Diabetes": "ذیابیطس",
    "Breathing and lungs": "سانس اور پھیپھڑے",
    "Heart and circulation": "دل اور خون کی گردش",
    "Neurological": "دماغ اور اعصاب",
    "Dementia and memory": "ڈیمنشیا اور یادداشت",
    "Mental health": "ذہنی صحت",
    "Neurodevelopmental and learning disability": "ذہنی نشوونما اور سیکھنے کی معذوری",
    "Sensory": "دیکھنا اور سننا",
    "Joints, muscles and pain": "جوڑ، پٹھے اور درد",
    "Physical disability": "جسمانی معذوری",
    "Kidneys": "گردے",
    "Cancer": "کینسر",
    "Digestive": "نظامِ ہضم",
    "Complex and end-of-life care": "پیچیدہ اور زندگی کے آخری دنوں کی نگہداشت",
    "Addiction and recovery": "لت اور اس سے نجات",
}

URDU_CATEGORIES = {
    "cooking": "کھانا پکانا",
    "shopping": "خریداری اور چھوٹے موٹے کام",
    "gardening": "باغبانی",
    "diy": "گھر کی چھوٹی موٹی مرمت",
    "cleaning": "صفائی ستھرائی",
    "transport": "گاڑی میں لے جانا اور آنا جانا",
    "companionship": "ساتھ اور گپ شپ",
    "befriending": "دوستی اور فون پر بات چیت",
    "peer_support": "ہم تجربہ ساتھی کی مدد",
    "support_planning": "سپورٹ پلان بنانے میں مدد",
    "paperwork": "فارم، خط اور کاغذی کارروائی",
    "technology": "کمپیوٹر، فون اور انٹرنیٹ",
    "learning": "کوئی ہنر سکھانا اور سیکھنا",
    "arts_crafts": "فن اور دستکاری",
    "childcare": "بچوں کی دیکھ بھال",
    "pet_care": "پالتو جانوروں کی دیکھ بھال",
    "wellbeing": "ورزش اور تندرستی",
    "admin": "تنظیم کے کام کاج میں مدد",
    "events": "تقریبات اور کمیونٹی کی سرگرمیاں",
    "other": "کچھ اور",
}
