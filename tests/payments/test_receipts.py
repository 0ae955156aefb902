"""The receipt PDF (issue 6, acceptance 4's text check): hospital, invoice number, patient, each line with quantity,
unit price, amount and the insurer's and patient's shares, totals, payments and refunds at the hospital's time,
in the reader's language. Drawn by WeasyPrint with Noto CJK; the text is read back with pypdf."""

import io
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.utils import translation
from pypdf import PdfReader

from payments.receipts import Receipt, ReceiptLine, ReceiptMoney, mask_tail, receipt_pdf


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def sample(**changes) -> Receipt:
    fields = {
        "number": "INV2026000042", "status": "Paid", "issued_at": datetime(2026, 11, 23, 1, 5, tzinfo=UTC),
        "description": "门诊处方 Prescription", "patient_name": "王小明", "patient_mrn": "M00000007",
        "plan_name": "城镇职工医保", "member_number": mask_tail("SH-20261234"),
        "lines": (
            ReceiptLine("阿莫西林胶囊 0.25g", "Medicine", 2, D("12.50"), D("25.00"), D("17.50"), D("7.50")),
            ReceiptLine("血常规 Complete blood count", "Laboratory test", 1, D("30.00"), D("30.00"), D("0.00"),
                        D("30.00")),
        ),
        # 23:30 UTC is 07:30 the next morning in Shanghai: the receipt shows the hospital's time.
        "payments": (ReceiptMoney(datetime(2026, 11, 23, 23, 30, tzinfo=UTC), "Online", "P1a2b3c", D("37.50")),),
        "refunds": (ReceiptMoney(datetime(2026, 11, 24, 2, 0, tzinfo=UTC), "Online", "R9z8y7", D("30.00"),
                                 note="检查取消 Test cancelled"),),
    }
    fields.update(changes)
    return Receipt(**fields)


def test_receipt_pdf_has_every_line_with_its_split_and_the_totals():
    with translation.override("en"):
        text = text_of(receipt_pdf(receipt=sample()))
    expected = ["Demo People's Hospital", "Payment receipt", "INV2026000042", "王小明", "M00000007",
                "阿莫西林胶囊 0.25g", "¥12.50", "¥25.00", "¥17.50", "¥7.50", "血常规", "¥30.00",
                "¥55.00", "Insurance pays", "You pay", "城镇职工医保", "*******1234"]
    assert [word for word in expected if word not in text] == []
    assert "SH-2026" not in text  # the member number is masked


def test_receipt_pdf_lists_payments_and_refunds_at_the_hospitals_time():
    with translation.override("en"):
        text = text_of(receipt_pdf(receipt=sample()))
    assert "2026-11-24 07:30" in text and "P1a2b3c" in text and "¥37.50" in text
    assert "2026-11-24 10:00" in text and "检查取消" in text and "−¥30.00" in text
    assert "23:30" not in text  # never the UTC time


def test_receipt_pdf_is_in_the_readers_language():
    with translation.override("zh-hans"):
        text = text_of(receipt_pdf(receipt=sample()))
    assert "示范人民医院" in text and "Demo People's Hospital" not in text


def test_receipt_of_an_unpaid_bill_says_so_and_what_is_left_to_pay():
    with translation.override("en"):
        text = text_of(receipt_pdf(receipt=sample(payments=(), refunds=(), outstanding=D("37.50"), status="To pay")))
    assert "No payment yet." in text and "Still to pay" in text and "Refunds" not in text


def test_a_rejected_insurance_share_is_explained_and_not_counted_as_paid_by_insurance():
    receipt = sample(insurer_due=D("0.00"), insurance_note="医保拒付：超出年度限额 The insurer did not pay its share.")
    with translation.override("en"):
        text = text_of(receipt_pdf(receipt=receipt))
    assert "医保拒付" in text
    assert receipt.insurance_pays == D("0.00") and receipt.insurer_total == D("17.50")


@pytest.mark.parametrize(("value", "masked"), [("SH-20261234", "*******1234"), ("1234", "****"), ("", "")])
def test_mask_tail_hides_all_but_the_last_four(value, masked):
    assert mask_tail(value) == masked
