import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from records import identity


class Sex(models.TextChoices):
    # FHIR AdministrativeGender
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Patient(models.Model):
    """The master patient index: one row per person the hospital treats.

    ``mrn`` is issued once from a sequence and never changes; ``public_id`` is what URLs and the
    API show. The national ID number is only ever stored sealed, with a keyed hash to find it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mrn = models.CharField(_("medical record number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    name_pinyin = models.CharField(max_length=300, blank=True, editable=False, db_index=True)
    name_initials = models.CharField(max_length=50, blank=True, editable=False, db_index=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"))
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True, db_index=True)
    national_id_sealed = models.TextField(blank=True, editable=False)
    national_id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    national_id_last4 = models.CharField(max_length=4, blank=True, editable=False)
    insurance_number = models.CharField(_("medical insurance number"), max_length=40, blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="own_patient",
        help_text=_("The login of this person, if they have their own account."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sex__in=Sex.values), name="patient_sex_valid"),
            models.CheckConstraint(condition=~models.Q(mrn=""), name="patient_mrn_assigned"),
            # A sealed ID always comes with its lookup hash, so no registered number escapes the duplicate check.
            models.CheckConstraint(
                condition=models.Q(national_id_sealed="", national_id_hash__isnull=True)
                | (~models.Q(national_id_sealed="") & models.Q(national_id_hash__isnull=False)),
                name="patient_national_id_sealed_with_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.mrn})"

    @property
    def national_id(self) -> str:
        return identity.unseal(self.national_id_sealed) if self.national_id_sealed else ""

    @property
    def national_id_masked(self) -> str:
        return f"**************{self.national_id_last4}" if self.national_id_last4 else ""

    @property
    def name_masked(self) -> str:
        """张*明 style, for screens other people can see."""
        if len(self.name) <= 1:
            return self.name
        if len(self.name) == 2:
            return self.name[0] + "*"
        return self.name[0] + "*" * (len(self.name) - 2) + self.name[-1]


class Relationship(models.TextChoices):
    SELF = "self", _("Myself")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SPOUSE = "spouse", _("Spouse")
    SIBLING = "sibling", _("Brother or sister")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER = "other", _("Other")


class FamilyMember(models.Model):
    """A person an account holder books for (就诊人): themselves, a parent, a child, ...

    ``is_guardian`` says the account holder may also read this person's records, not only book.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_members")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="family_links")
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    is_guardian = models.BooleanField(
        _("I look after this person's health records"), default=False,
        help_text=_("Allows you to see their results and records, not only book for them."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "patient"], name="family_member_once_per_account"),
            models.UniqueConstraint(fields=["account"], condition=models.Q(relationship="self"),
                                    name="family_member_one_self"),
            models.CheckConstraint(condition=models.Q(relationship__in=Relationship.values),
                                   name="family_member_relationship_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.patient.name} ({self.get_relationship_display()})"


# --- The clinical record -------------------------------------------------------------------------------------
# Every clinical row has an opaque ``public_id`` (what URLs, the API and FHIR show). Rows point at the patient
# with PROTECT: a person with a record is never deleted by accident. Who wrote what, and who read it, is in
# AccessLog; the writes themselves go through records.services, which keep the rules below.


class EncounterStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class Encounter(models.Model):
    """One consultation's note (门诊病历), written by a doctor and signed by them.

    Signed is final: the row is never changed again (records.services refuses, and a database trigger
    refuses any UPDATE of a signed row, migration 0003). A later correction is an *amendment*: a new
    row with the same ``record_id``, ``version`` + 1 and ``amends`` pointing at the version it replaces,
    so every version stays readable. The current version of a record is the one nothing amends.

    The department is stored as plain text (code and name as they were at the visit), not as a foreign key:
    Department lives in appointments, an app above records, and a note must keep the department it was
    written in even if the department is later renamed or closed. ``appointment_public_id`` links the
    booking the same way.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record_id = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True,
                                 help_text=_("Shared by every version of the same note."))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    amends = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by",
                                  verbose_name=_("amends version"))
    amendment_reason = models.CharField(_("reason for the amendment"), max_length=300, blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("doctor"))
    external_author = models.CharField(_("written by (another hospital)"), max_length=100, blank=True,
                                       help_text=_("For a note imported from another hospital: its author there. "
                                                   "The doctor who imported it is then the author here."))
    department_code = models.CharField(_("department code"), max_length=20, blank=True)
    department_name = models.CharField(_("department"), max_length=100, blank=True)
    appointment_public_id = models.UUIDField(_("appointment"), null=True, blank=True, db_index=True)
    chief_complaint = models.TextField(_("chief complaint"), blank=True)
    history = models.TextField(_("history of present illness"), blank=True)
    examination = models.TextField(_("examination"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    plan = models.TextField(_("plan"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=EncounterStatus.choices, default=EncounterStatus.DRAFT)
    started_at = models.DateTimeField(_("seen at"), default=timezone.now)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("signed by"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    CLINICAL_FIELDS = ("chief_complaint", "history", "examination", "assessment", "plan")

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        ordering = ["-started_at", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["record_id", "version"], name="encounter_version_once"),
            # One draft per note at a time: two doctors amending at once cannot both open a version.
            models.UniqueConstraint(fields=["record_id"], condition=models.Q(status="draft"),
                                    name="encounter_one_draft_per_record"),
            models.CheckConstraint(condition=models.Q(status__in=EncounterStatus.values), name="encounter_status_valid"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="encounter_version_positive"),
            models.CheckConstraint(
                condition=models.Q(status="draft", signed_at__isnull=True, signed_by__isnull=True)
                | models.Q(status="signed", signed_at__isnull=False, signed_by__isnull=False),
                name="encounter_signed_has_signature",
            ),
        ]
        indexes = [models.Index(fields=["patient", "started_at"], name="encounter_patient_time_idx")]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.started_at:%Y-%m-%d} v{self.version}"

    @property
    def is_signed(self) -> bool:
        return self.status == EncounterStatus.SIGNED

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise ValueError("A signed encounter is part of the legal record and is never deleted.")
        return super().delete(*args, **kwargs)


class DiagnosisRank(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")


class Diagnosis(models.Model):
    """An ICD-10 (WHO) diagnosis made in an encounter. ``description`` is the ICD-10 title at the time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="diagnoses")
    icd10_code = models.CharField(_("ICD-10 code"), max_length=10)
    description = models.CharField(_("description"), max_length=300)
    rank = models.CharField(_("rank"), max_length=10, choices=DiagnosisRank.choices, default=DiagnosisRank.SECONDARY)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        ordering = ["rank", "id"]  # "primary" sorts before "secondary"
        constraints = [
            models.UniqueConstraint(fields=["encounter"], condition=models.Q(rank="primary"),
                                    name="diagnosis_one_primary_per_encounter"),
            models.UniqueConstraint(fields=["encounter", "icd10_code"], name="diagnosis_code_once_per_encounter"),
            models.CheckConstraint(condition=models.Q(rank__in=DiagnosisRank.values), name="diagnosis_rank_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"


class ProblemStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")


class Problem(models.Model):
    """An entry of the patient's problem list: a condition that matters beyond one visit."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="problems")
    description = models.CharField(_("problem"), max_length=300)
    icd10_code = models.CharField(_("ICD-10 code"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.ACTIVE)
    onset_date = models.DateField(_("since"), null=True, blank=True)
    resolved_date = models.DateField(_("resolved on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problem list")
        ordering = ["status", "-recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ProblemStatus.values), name="problem_status_valid"),
        ]

    def __str__(self) -> str:
        return self.description


class AllergySeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class Allergy(models.Model):
    """A recorded allergy or intolerance. Prescribing checks every active one (records.services)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(_("substance"), max_length=100)
    reaction = models.CharField(_("reaction"), max_length=300, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=AllergySeverity.choices)
    is_active = models.BooleanField(_("active"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        ordering = ["-is_active", "substance", "id"]
        constraints = [
            models.UniqueConstraint(Lower("substance"), "patient", condition=models.Q(is_active=True),
                                    name="allergy_substance_once_per_patient"),
            models.CheckConstraint(condition=models.Q(severity__in=AllergySeverity.values), name="allergy_severity_valid"),
        ]

    def __str__(self) -> str:
        return self.substance


class DrugForm(models.TextChoices):
    TABLET = "tablet", _("Tablet")
    CAPSULE = "capsule", _("Capsule")
    GRANULES = "granules", _("Granules")
    SYRUP = "syrup", _("Oral liquid")
    INJECTION = "injection", _("Injection")
    INHALER = "inhaler", _("Inhaler")
    CREAM = "cream", _("Cream or ointment")
    DROPS = "drops", _("Drops")
    OTHER = "other", _("Other")


class Drug(models.Model):
    """An entry of the hospital formulary (药品目录). ``allergy_classes`` names what an allergy to it looks
    like, comma separated (e.g. "penicillin, beta-lactam"), so an allergy to penicillin warns for amoxicillin."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("formulary code"), max_length=40, unique=True)
    name = models.CharField(pgettext_lazy("drug", "name"), max_length=200)
    generic_name = models.CharField(_("generic name"), max_length=200, blank=True)
    form = models.CharField(_("form"), max_length=20, choices=DrugForm.choices)
    strength = models.CharField(_("strength"), max_length=50, help_text=_("For example 500 mg or 0.9% 250 mL."))
    dispense_unit = models.CharField(_("dispensed per"), max_length=20, default="box",
                                     help_text=_("What the quantity counts: box, bottle, tablet, ..."))
    unit_price = models.DecimalField(_("price per unit"), max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    allergy_classes = models.CharField(_("allergy classes"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in the formulary"), default=True)

    class Meta:
        verbose_name = _("drug")
        verbose_name_plural = _("formulary")
        ordering = ["name", "strength"]
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="drug_price_not_negative"),
            models.CheckConstraint(condition=models.Q(form__in=DrugForm.values), name="drug_form_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.strength}"


class Route(models.TextChoices):
    ORAL = "oral", _("By mouth")
    IV = "iv", _("Intravenous")
    IM = "im", _("Intramuscular")
    SC = "sc", _("Subcutaneous")
    INHALED = "inhaled", _("Inhaled")
    TOPICAL = "topical", _("On the skin")
    EYE = "eye", _("Into the eye")
    OTHER = "other", _("Other")


class Frequency(models.TextChoices):
    # The abbreviations used on Chinese prescriptions, with the times per day they mean.
    QD = "qd", _("Once a day")
    BID = "bid", _("Twice a day")
    TID = "tid", _("Three times a day")
    QID = "qid", _("Four times a day")
    QN = "qn", _("Every night")
    PRN = "prn", _("When needed")
    ONCE = "once", _("Once only")


class Prescription(models.Model):
    """A medicine prescribed in an encounter, from the formulary.

    ``allergy_warning`` is what the allergy check found when it was written; prescribing despite it needs
    ``allergy_override_reason`` (records.services.prescription_create).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="prescriptions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    dose_amount = models.DecimalField(_("dose"), max_digits=10, decimal_places=3)
    dose_unit = models.CharField(_("dose unit"), max_length=20, help_text=_("UCUM, e.g. mg, mL, [iU]."))
    route = models.CharField(_("route"), max_length=10, choices=Route.choices)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices)
    duration_days = models.PositiveSmallIntegerField(_("for (days)"))
    quantity = models.PositiveIntegerField(_("quantity"))
    instructions = models.CharField(_("instructions"), max_length=300, blank=True)
    allergy_warning = models.CharField(max_length=300, blank=True)
    allergy_override_reason = models.CharField(_("reason to prescribe despite the allergy"), max_length=300, blank=True)
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prescribed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        ordering = ["-prescribed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(dose_amount__gt=0), name="prescription_dose_positive"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="prescription_quantity_positive"),
            models.CheckConstraint(condition=models.Q(duration_days__gt=0), name="prescription_duration_positive"),
            models.CheckConstraint(condition=models.Q(route__in=Route.values), name="prescription_route_valid"),
            models.CheckConstraint(condition=models.Q(frequency__in=Frequency.values), name="prescription_frequency_valid"),
            # A warning the doctor went past is always explained.
            models.CheckConstraint(condition=models.Q(allergy_warning="") | ~models.Q(allergy_override_reason=""),
                                   name="prescription_allergy_override_explained"),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose_amount} {self.dose_unit} {self.frequency}"


class OrderKind(models.TextChoices):
    LAB = "lab", _("Laboratory test")
    EXAM = "exam", _("Examination (imaging, ECG, ...)")


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    COMPLETED = "completed", _("Results ready")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    """A request for a lab test or an examination (检验/检查申请). Results and reports point back to it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="orders")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(_("kind"), max_length=10, choices=OrderKind.choices)
    code = models.CharField(_("LOINC code"), max_length=20, blank=True)
    name = models.CharField(_("test or examination"), max_length=200)
    note = models.CharField(_("clinical note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.ORDERED)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=OrderKind.values), name="order_kind_valid"),
            models.CheckConstraint(condition=models.Q(status__in=OrderStatus.values), name="order_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ResultFlag(models.TextChoices):
    NORMAL = "", _("Normal")
    LOW = "low", _("Low")
    HIGH = "high", _("High")
    CRITICAL_LOW = "critical_low", _("Critically low")
    CRITICAL_HIGH = "critical_high", _("Critically high")


class ResultItem(models.Model):
    """One measured lab value: LOINC code, value and UCUM unit, reference range and the flag.

    ``flag`` is always computed from the value and the ranges (records.results.result_flag), never typed.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="results")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="results")
    loinc_code = models.CharField(_("LOINC code"), max_length=10)
    name = models.CharField(_("test"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit (UCUM)"), max_length=30, blank=True)
    reference_low = models.DecimalField(_("reference low"), max_digits=14, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(_("reference high"), max_digits=14, decimal_places=4, null=True, blank=True)
    critical_low = models.DecimalField(_("critical low"), max_digits=14, decimal_places=4, null=True, blank=True)
    critical_high = models.DecimalField(_("critical high"), max_digits=14, decimal_places=4, null=True, blank=True)
    flag = models.CharField(_("flag"), max_length=15, choices=ResultFlag.choices, blank=True)
    observed_at = models.DateTimeField(_("collected at"), default=timezone.now)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["-observed_at", "loinc_code", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(flag__in=ResultFlag.values), name="result_flag_valid"),
            models.CheckConstraint(
                condition=models.Q(reference_low__isnull=True) | models.Q(reference_high__isnull=True)
                | models.Q(reference_low__lte=models.F("reference_high")),
                name="result_reference_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["patient", "observed_at"], name="result_patient_time_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.value} {self.unit}"

    @property
    def is_abnormal(self) -> bool:
        return bool(self.flag)

    @property
    def is_critical(self) -> bool:
        return self.flag in (ResultFlag.CRITICAL_LOW, ResultFlag.CRITICAL_HIGH)


def report_upload_to(instance: "Report", filename: str) -> str:
    # The stored name never comes from the uploader: the extension follows the checked content type.
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(instance.file_content_type, "bin")
    return f"reports/{instance.patient.public_id}/{instance.public_id}.{extension}"


class Report(models.Model):
    """An examination or lab report: the conclusion as text, and optionally the signed document (PDF or image).

    The file's type and size are checked by its content (records.uploads), never by its name.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="reports")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("kind"), max_length=10, choices=OrderKind.choices, default=OrderKind.EXAM)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("findings and conclusion"))
    file = models.FileField(_("document"), upload_to=report_upload_to, blank=True)
    file_content_type = models.CharField(max_length=50, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-issued_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(file="") | models.Q(
                file_content_type__in=["application/pdf", "image/png", "image/jpeg"], file_size__gt=0),
                name="report_file_type_checked"),
        ]

    def __str__(self) -> str:
        return self.title


class BreakGlassGrant(models.Model):
    """Emergency access (break the glass): a doctor without a care relationship states why they need a
    patient's record and gets it for a limited time. Every grant is flagged for review in the admin."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    reviewed = models.BooleanField(_("reviewed"), default=False)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")
        ordering = ["reviewed", "-granted_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("granted_at")),
                                   name="break_glass_expires_after_grant"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="break_glass_reason_given"),
        ]
        indexes = [models.Index(fields=["doctor", "patient", "expires_at"], name="break_glass_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.doctor_id} → {self.patient_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class AccessAction(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")
    REFUSED = "refused", _("Refused")
    BREAK_GLASS = "break_glass", _("Break the glass")


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The access log is append-only.")

    def delete(self):
        raise TypeError("The access log is append-only.")


class AccessLog(models.Model):
    """The audit trail: one row for every read and write of a patient's record, and every refusal.

    Append-only. On PostgreSQL a trigger refuses UPDATE and DELETE (migration 0003), so not even a bug
    or a hand-written query through the application's connection can rewrite history; everywhere the
    model refuses to save an existing row or delete one. Actor and patient are kept without a database
    foreign key so that the trail outlives the rows it speaks of (a merged patient, a removed account).
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+", verbose_name=_("who"))
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    actor_department = models.CharField(_("department"), max_length=100, blank=True)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                related_name="+", verbose_name=_("patient"))
    object_type = models.CharField(_("what"), max_length=30)
    object_id = models.CharField(_("which"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=12, choices=AccessAction.choices)
    purpose = models.CharField(_("purpose"), max_length=30, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    grant = models.ForeignKey(BreakGlassGrant, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                              related_name="+", verbose_name=_("break-the-glass access"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=AccessAction.values), name="access_log_action_valid"),
        ]
        indexes = [
            models.Index(fields=["patient", "at"], name="access_log_patient_idx"),
            models.Index(fields=["actor", "at"], name="access_log_actor_idx"),
            models.Index(fields=["action", "at"], name="access_log_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_role} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The access log is append-only: an entry is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The access log is append-only: an entry is never deleted.")
