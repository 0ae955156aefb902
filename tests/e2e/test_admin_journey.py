"""Issue 8, acceptance 3: a hospital administrator (desk PC) signs in with two-step sign-in (setting up the
authenticator on first sign-in), creates a doctor with a weekly schedule on the back office's one page, generates
their slots and watches the progress bar (the work done by a real Celery worker), opens the dashboard for a seeded
period and downloads the Excel export, whose figures are checked. Real Chromium against daphne on the test database.
"""

from django.conf import settings
from openpyxl import load_workbook
from playwright.sync_api import expect

from appointments.localtime import hospital_today
from appointments.models import DoctorProfile, ScheduleTemplate, Slot
from tests.backoffice import world
from tests.e2e.conftest import DESK
from tests.e2e.signin import sign_in

PASSWORD = "Quiet-River-2024"  # tests.appointments.factories.user




def test_administrator_adds_a_doctor_generates_slots_and_exports_the_dashboard(live_url, worker, new_context, screens):
    seeded = world.seed()
    admin = world.admin_user(email="director@example.test", name="院办 陈主任")
    today = hospital_today()
    first_day, second_day = (today.weekday() + 1) % 7, (today.weekday() + 2) % 7

    page = new_context(**DESK).new_page()
    recovery_codes = sign_in(page, live_url, admin.email, PASSWORD, "/admin/")
    assert len(recovery_codes) == 10  # first sign-in: the authenticator was set up, then the code typed
    expect(page.locator("#site-name")).to_contain_text(settings.HOSPITAL_NAME)
    expect(page.locator("#section-clinic")).to_be_visible()
    page.screenshot(path=str(screens / "01-admin-index.png"), full_page=True)

    page.get_by_role("link", name="Add a doctor (login, department, room and weekly sessions)").click()
    page.get_by_label("Full name").fill("王建国")
    page.get_by_label("Email address (signs in with it)").fill("wang.jianguo@example.test")
    page.get_by_label("Mobile phone").fill("13766668888")
    page.get_by_label("First password").fill("Bright-Lantern-2031")
    page.get_by_label("Title").select_option("attending")
    page.get_by_label("Department").select_option(str(seeded.dept_a.pk))
    page.get_by_label("New room: code").fill("a-room-7")
    page.get_by_label("New room: name shown to patients").fill("7诊室")
    for row, (weekday, session, starts, ends) in enumerate([(first_day, "morning", "08:00", "10:00"),
                                                            (second_day, "afternoon", "14:00", "15:00")], start=1):
        page.get_by_label(f"Weekday ({row})").select_option(str(weekday))
        page.get_by_label(f"Session ({row})").select_option(session)
        page.get_by_label(f"Starts ({row})").fill(starts)
        page.get_by_label(f"Ends ({row})").fill(ends)
        page.get_by_label(f"Slot length (minutes) ({row})").fill("30")
        page.get_by_label(f"Numbers per slot ({row})").fill("2")
    page.screenshot(path=str(screens / "02-add-doctor.png"), full_page=True)
    page.get_by_role("button", name="Create the doctor").click()

    expect(page.locator(".messagelist")).to_contain_text("王建国 was added")
    doctor = DoctorProfile.objects.get(user__email="wang.jianguo@example.test")
    assert ScheduleTemplate.objects.filter(doctor=doctor).count() == 2

    page.locator(f"input[name='_selected_action'][value='{doctor.pk}']").check()
    page.get_by_label("Action", exact=False).and_(page.locator("select[name=action]")).select_option("generate_slots")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Days ahead, from today").fill("7")
    page.get_by_role("button", name="Generate slots").click()
    progress = page.locator("#slot-generation-bar")
    expect(page.locator("#slot-generation")).to_have_attribute("data-state", "done", timeout=30_000)
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("#slot-generation-status")).to_contain_text("6 new slots made")  # 4 morning + 2 afternoon
    page.screenshot(path=str(screens / "03-slots-generated.png"), full_page=True)
    assert Slot.objects.filter(doctor=doctor).count() == 6

    page.goto(f"{live_url}/admin/")
    page.get_by_role("link", name="Dashboard: visits, waiting, revenue, alerts").click()
    page.get_by_label("From:", exact=True).fill(seeded.day.isoformat())
    page.get_by_label("To:", exact=True).fill(seeded.next_day.isoformat())
    page.get_by_role("button", name="Show").click()
    figures = page.locator(".backoffice-figures")
    expect(figures).to_contain_text("No-show rate")
    expect(figures.locator("div", has_text="Visits").locator("dd")).to_have_text("5")
    expect(page.locator(".backoffice-chart svg rect.bar")).to_have_count(4)
    page.screenshot(path=str(screens / "04-dashboard.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download Excel").click()
    download = download_info.value
    assert download.suggested_filename == f"dashboard-{seeded.day.isoformat()}-{seeded.next_day.isoformat()}.xlsx"
    saved = screens / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=6, values_only=True)}
    assert (summary["Visits"], summary["Bookings"], summary["Capacity (numbers)"], summary["Utilisation"]) == (5, 6, 12, 0.5)
    assert summary["Wait, median (min)"] == 13.5 and summary["Wait, 90th percentile (min)"] == 25
    assert [row[1] for row in book["By day"].iter_rows(min_row=2, values_only=True)] == [4, 1]
