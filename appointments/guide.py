"""The booking guide (导诊): which departments to book, from a few plain-language symptom choices.

A pointer for patients who do not know where to start, as a triage desk gives it, not a diagnosis:
the pages say so and always let the patient choose any department. Departments are named by
code; a hospital without one of them simply gets no suggestion for it.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from appointments.models import Department

# Children under this age see paediatrics for medical complaints (the usual Chinese outpatient rule);
# injuries, lumps and skin problems still go to the specialist department.
PAEDIATRIC_AGE_LIMIT = 14
PAEDIATRICS = "paediatrics"
GENERAL = "internal"
MEDICAL = frozenset({"internal", "cardiology"})

# key: (label, department codes, best first)
SYMPTOMS: dict[str, tuple[str, list[str]]] = {
    "fever": (_("Fever"), ["internal"]),
    "cough": (_("Cough, sore throat or a cold"), ["internal"]),
    "headache": (_("Headache or dizziness"), ["internal", "cardiology"]),
    "chest_pain": (_("Chest pain or tightness"), ["cardiology", "internal"]),
    "palpitations": (_("Racing or irregular heartbeat"), ["cardiology"]),
    "blood_pressure": (_("High blood pressure"), ["cardiology", "internal"]),
    "breathless": (_("Short of breath"), ["cardiology", "internal"]),
    "diabetes": (_("Diabetes, thirst or passing a lot of urine"), ["internal"]),
    "stomach": (_("Stomach ache, vomiting or diarrhoea"), ["internal", "surgery"]),
    "injury": (_("An injury, cut or burn"), ["surgery"]),
    "lump": (_("A lump or swelling"), ["surgery", "dermatology"]),
    "rash": (_("A rash, itching or spots"), ["dermatology"]),
    "acne": (_("Acne"), ["dermatology"]),
}


def symptom_choices() -> list[tuple[str, str]]:
    """(key, label) for a form or the API, in the guide's order."""
    return [(key, label) for key, (label, _codes) in SYMPTOMS.items()]


def department_suggestions(*, symptoms: list[str], age_years: int | None = None) -> list[Department]:
    """Active departments for the chosen symptoms, most likely first.

    Each symptom gives its first department two points and the others one; ties keep the
    hospital's department order. Children under PAEDIATRIC_AGE_LIMIT are sent to paediatrics
    instead of the adult medical departments. Unknown symptom keys are ignored; with nothing
    known, the general department (paediatrics for a child) is suggested.
    """
    child = age_years is not None and age_years < PAEDIATRIC_AGE_LIMIT
    scores: dict[str, int] = {}
    for key in dict.fromkeys(symptoms or []):
        if key not in SYMPTOMS:
            continue
        for rank, code in enumerate(SYMPTOMS[key][1]):
            if child and code in MEDICAL:
                code = PAEDIATRICS
            scores[code] = scores.get(code, 0) + (2 if rank == 0 else 1)
    if not scores:
        scores = {PAEDIATRICS if child else GENERAL: 1}
    departments: QuerySet[Department] = Department.objects.filter(is_active=True, code__in=scores)
    return sorted(departments, key=lambda d: (-scores[d.code], d.sort_order, d.code))
