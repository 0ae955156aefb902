"""The patient's record as PDF (visits, diagnoses, medicines, results), drawn by WeasyPrint from HTML.

WeasyPrint needs Pango (a system library: Debian's libpango-1.0-0 and libpangoft2-1.0-0, which .ci/run
installs) and draws Chinese with the Noto CJK fonts (fonts-noto-cjk). On a machine without Pango the import
fails; the pages then say PDFs are unavailable instead of failing (PdfUnavailable).
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from records import selectors
from records.models import Patient

logger = logging.getLogger(__name__)


class PdfUnavailable(Exception):
    """WeasyPrint (or the Pango library under it) cannot be loaded on this machine."""


@dataclass(frozen=True)
class Section:
    slug: str
    title: str


SECTIONS = {
    "visits": Section("visits", _("Visits")),
    "diagnoses": Section("diagnoses", _("Diagnoses")),
    "medicines": Section("medicines", _("Medicines")),
    "results": Section("results", _("Test results")),
}


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: cffi could not open the Pango library
        raise PdfUnavailable(str(exc)) from exc
    return weasyprint


def pdf_available() -> bool:
    try:
        _weasyprint()
    except PdfUnavailable as exc:
        logger.warning("PDF downloads are unavailable: %s", exc)
        return False
    return True


def section_context(*, patient: Patient, section: str, today: date | None = None) -> dict:
    """What the PDF of `section` shows; a fixed number of queries whatever the size of the record."""
    context = {"patient": patient, "section": SECTIONS[section]}
    if section == "visits":
        context["encounters"] = selectors.signed_visits(patient=patient)
    elif section == "diagnoses":
        context["problems"] = selectors.problem_list(patient=patient)
        context["diagnoses"] = selectors.signed_diagnoses(patient=patient)
    elif section == "medicines":
        context["prescriptions"] = selectors.signed_prescriptions(patient=patient, today=today)
    elif section == "results":
        context["results"] = selectors.result_list(patient=patient)
    return context


def record_pdf(*, patient: Patient, section: str, request=None) -> bytes:
    """The PDF of one section of `patient`'s record. The caller has been through records.access.
    Raises PdfUnavailable when WeasyPrint cannot run here."""
    weasyprint = _weasyprint()
    html = render_to_string("records/pdf/section.html", section_context(patient=patient, section=section),
                            request=request)
    return weasyprint.HTML(string=html).write_pdf()
