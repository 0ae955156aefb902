import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
