import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A clinical department patients book with (内科, 儿科, ...), named in Chinese and English."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    location = models.CharField(_("floor and location"), max_length=200, blank=True)
    queue_prefix = models.CharField(_("queue number prefix"), max_length=2, unique=True,
                                    help_text=_("Letter shown before queue numbers, e.g. A for A012."))
    is_active = models.BooleanField(_("open for booking"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def description(self) -> str:
        return self.description_zh if (get_language() or "").startswith("zh") else self.description_en


class DoctorTitle(models.TextChoices):
    # The professional title sets the registration fee tier (payments' fee schedule reads it).
    CHIEF = "chief", _("Chief physician")
    ASSOCIATE_CHIEF = "associate_chief", _("Associate chief physician")
    ATTENDING = "attending", _("Attending physician")
    RESIDENT = "resident", _("Resident physician")


class DoctorProfile(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor_profile")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="doctors")
    title = models.CharField(_("title"), max_length=20, choices=DoctorTitle.choices)
    specialties = models.CharField(_("specialties"), max_length=300, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    is_active = models.BooleanField(_("seeing patients"), default=True)

    class Meta:
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        ordering = ["department__sort_order", "user__name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(title__in=DoctorTitle.values), name="doctor_title_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user.name} ({self.get_title_display()})"
