"""The Studio authoring app in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

An org author builds the ECNU digital-trade micro-programme (DESIGN §3) from an empty Studio
page with the UI only, meets a validation error and fixes it, previews, publishes; then real
openedx-events course-completion signals for a learner produce its credential. Refused users
(another org, no role, anonymous) are refused by the pages. axe-core checks every page in
English and Simplified Chinese. Full-page screenshots go to test-artifacts/screenshots/.
"""
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from openedx_microcred import api
from openedx_microcred.models import Credential, OrgRole
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .studio import PASSWORD, shot_of, sign_in
from .support import SCREENSHOTS, assert_accessible, shot

pytestmark = pytest.mark.django_db(transaction=True)

STUDIO = "/microcred/studio/"
PROGRAMME = "ecnu-digital-trade"
# The ECNU digital-trade micro-programme: three modules, the third a choice of 2 of 4 courses.
MODULES = [
    ("基础模块", [("course-v1:ECNUx+ECON101+2025", "经济学原理"),
                  ("course-v1:ECNUx+DT101+2025", "数字贸易导论")]),
    ("核心模块", [("course-v1:ECNUx+DT201+2025", "跨境电子商务"),
                  ("course-v1:ECNUx+DT202+2025", "数字贸易规则与治理")]),
    ("拓展模块（任选两门）", [("course-v1:ECNUx+DT205+2025", "数字营销"),
                          ("course-v1:ECNUx+DT206+2025", "国际物流与供应链"),
                          ("course-v1:ECNUx+DT207+2025", "数据分析与商业智能"),
                          ("course-v1:ECNUx+DT208+2025", "数字金融与支付")]),
]
ALL_COURSES = [key for _, courses in MODULES for key, _ in courses]
# what a learner completes: both foundation and both core courses, and two electives
COMPLETE_SET = ALL_COURSES[:4] + [ALL_COURSES[4], ALL_COURSES[6]]
PKU_COURSE = "course-v1:PKUx+CS101+2025"


def new_page(browser, locale="en-US", width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale,
                                  accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    assert not page.errors, page.errors
    page.context.close()


@pytest.fixture
def site(site, settings):
    """The shared live server, as Studio (cms.djangoapp URLs)."""
    settings.ROOT_URLCONF = "sandbox.studio_urls"
    return site


@pytest.fixture
def people(db):
    """An ECNUx author, a PKUx author, a user without a role; learners with earlier results."""
    users = {}
    for name in ("wang", "li", "nobody", "early", "partial", "mei"):
        users[name] = get_user_model().objects.create_user(
            name, f"{name}@example.com", PASSWORD, first_name=name.title())
    OrgRole.objects.create(user=users["wang"], org="ECNUx", role=OrgRole.AUTHOR)
    OrgRole.objects.create(user=users["li"], org="PKUx", role=OrgRole.AUTHOR)
    # Learners passed courses before the programme existed: the course picker knows the runs,
    # and publishing evaluates them ("early" completes it, "partial" does not).
    for day, key in enumerate(COMPLETE_SET, start=1):
        send_passing(users["early"].pk, key, time=utc(2026, 3, day))
    for day, key in enumerate((ALL_COURSES[0], ALL_COURSES[5], ALL_COURSES[7]), start=1):
        send_passing(users["partial"].pk, key, time=utc(2026, 3, day))
    return users


@pytest.fixture
def pku_programme(db):
    """A programme of another org (PKUx), published."""
    api.import_program(program_xml("pku-programming", f'<course key="{PKU_COURSE}" credits="2">'
                                   "程序设计</course>", org="PKUx"))
    return "pku-programming"


def field(page, name):
    """The control of the field ``name`` (a data-field wrapper)."""
    return page.locator(f'[data-field="{name}"]').locator("input, select, textarea").first


def add_course(page, group_path, index, key, title):
    page.click(f'button[data-add="course"][data-path="{group_path}"]')
    path = f"{group_path}.{index}"
    picker = field(page, f"requirements:{path}/key")
    expect(picker).to_be_focused()
    picker.press_sequentially(key.split("+")[1])  # the course number, as an author would type
    option = page.locator(f'[data-field="requirements:{path}/key"] [role=option]').first
    expect(option).to_contain_text(key)
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(picker).to_have_value(key)
    field(page, f"requirements:{path}/title").fill(title)
    field(page, f"requirements:{path}/credits").fill("2")
    field(page, f"requirements:{path}/hours").fill("36")


def test_author_builds_previews_and_publishes_the_ecnu_programme(page, site, people):
    sign_in(page, site, "wang", STUDIO)
    expect(page.locator("#no-programmes")).to_be_visible()
    assert_accessible(page, "empty programme list")
    shot(page, "studio-empty-en")

    page.click("#new-programme")
    page.wait_for_url(f"**{STUDIO}programmes/new/")
    expect(field(page, "org")).to_have_value("ECNUx")  # the author's only org
    field(page, "title").fill("数字贸易与管理")
    field(page, "id").fill(PROGRAMME)
    field(page, "lang").select_option("zh-Hans")
    for section in ("description", "issuer", "framework"):  # optional sections start folded
        page.locator(f"#section-{section} > summary").click()
    field(page, "description").fill("掌握数字贸易的经济学基础、规则与跨境电商实务。")
    page.get_by_role("button", name="+ Add a learning outcome").click()
    field(page, "outcomes.0").fill("能够分析数字贸易政策对企业的影响")
    field(page, "issuer.name").fill("华东师范大学")
    field(page, "issuer.url").fill("https://www.ecnu.edu.cn")
    field(page, "issuer.country").fill("CN")
    field(page, "level.framework").fill("EQF")
    field(page, "level.value").fill("6")
    field(page, "participation").select_option("online")
    field(page, "workload_hours").fill("216")
    field(page, "credits").fill("12")
    field(page, "window_from").fill("2025-09-01")
    field(page, "window_until").fill("2028-01-31")
    field(page, "valid_months").fill("36")

    for group_index, (title, courses) in enumerate(MODULES):
        page.click('button[data-add="group"][data-path=""]')
        group_title = field(page, f"requirements:{group_index}/title")
        expect(group_title).to_be_focused()
        group_title.fill(title)
        for index, (key, course_title) in enumerate(courses):
            add_course(page, str(group_index), index, key, course_title)

    # "任选两门" (choose two) but no rule yet: a warning, not an error
    choice = page.locator('[data-field="requirements:2/min_count"]')
    expect(choice.locator(".field__msg--warning")).to_contain_text("sounds like a choice")
    # a rule the group cannot meet: an error in plain language at the field
    field(page, "requirements:2/min_count").fill("5")
    expect(choice.locator(".field__msg--error")).to_contain_text("has only 4 requirements")
    expect(field(page, "requirements:2/min_count")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#issues")).to_contain_text("error")
    shot(page, "studio-editor-error-en")
    shot_of(page.locator("#requirements-card"), "studio-requirements-error-en")
    shot_of(page.locator(".editor__side"), "studio-checks-error-en")
    assert_accessible(page, "editor with an error")
    field(page, "requirements:2/min_count").fill("2")
    expect(choice.locator(".field__msg")).to_have_count(0)
    expect(page.locator('[data-field="credits"] .field__msg')).to_have_count(0)  # 4+4+2×2 = 12

    page.click('button[data-action="save"]')
    page.wait_for_url(f"**{STUDIO}programmes/{PROGRAMME}/")
    expect(page.locator("#status-card [data-status]")).to_have_attribute("data-status", "draft")
    expect(page.locator("#savestate")).to_contain_text("All changes saved")
    expect(page.locator("#issues")).to_contain_text("No problems found")  # the server agrees
    shot(page, "studio-editor-saved-en")

    page.click('button[data-action="preview"]')
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#preview-narrative")).to_contain_text("经济学原理")
    expect(dialog.locator(".credential-card")).to_contain_text("数字贸易与管理")
    assert_accessible(page, "preview")
    shot(page, "studio-preview-en")
    shot_of(dialog, "studio-preview-dialog-en")
    page.keyboard.press("Escape")
    expect(page.locator("dialog[open]")).to_have_count(0)

    page.click('button[data-action="publish"]')
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#publish-newly-complete")).to_contain_text("1 will newly complete")
    assert_accessible(page, "publish summary")
    shot(page, "studio-publish-en")
    shot_of(dialog, "studio-publish-dialog-en")
    dialog.locator('button[data-action="confirm-publish"]').click()
    expect(page.locator("#status-card [data-status]")).to_have_attribute("data-status", "published")
    expect(page.locator("#publish-progress")).to_contain_text("1 credential issued")
    shot(page, "studio-published-en")
    shot_of(page.locator(".editor__side"), "studio-published-status-en")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "studio-editor-top-en.png"))

    # the learner who had already completed it got the credential at publication
    assert Credential.objects.filter(user=people["early"], program__program_id=PROGRAMME).exists()
    # a learner completes the courses now: real course-completion events
    mei = people["mei"]
    for day, key in enumerate(COMPLETE_SET, start=1):
        send_passing(mei.pk, key, time=utc(2026, 4, day))
    credential = Credential.objects.get(user=mei, program__program_id=PROGRAMME)
    assert credential.credits_earned == 12
    assert credential.document["credentialSubject"]["achievement"]["name"] == "数字贸易与管理"

    # the course team sees the learners and revokes a credential, with a reason, after confirming
    page.reload()
    page.click('button[data-action="learners"]')
    learners = page.locator("#learners-box")
    expect(learners.locator("tr[data-learner]")).to_have_count(3)
    expect(learners.locator('tr[data-learner="mei"]')).to_contain_text("Awarded")
    assert_accessible(page, "learners")
    shot_of(page.locator("dialog[open]"), "studio-learners-dialog-en")
    learners.locator('tr[data-learner="mei"] button[data-action="revoke"]').click()
    confirm = page.locator("dialog[open]").last
    confirm.locator('button[data-action="confirm-revoke"]').click()
    expect(confirm.locator(".field__msg--error")).to_have_text("Give a reason.")  # required
    confirm.get_by_label("Reason").fill("Issued in error: the exam was retaken.")
    confirm.locator('button[data-action="confirm-revoke"]').click()
    expect(learners.locator('tr[data-learner="mei"]')).to_contain_text("Revoked")
    credential.refresh_from_db()
    assert credential.status == Credential.REVOKED
    assert credential.revocation_reason == "Issued in error: the exam was retaken."
    page.keyboard.press("Escape")

    page.goto(f"{site}{STUDIO}")
    row = page.locator(f'tr[data-programme="{PROGRAMME}"]')
    expect(row).to_contain_text("数字贸易与管理")
    expect(row.locator("td").nth(5)).to_have_text("2")  # credentials
    shot(page, "studio-list-en")

    page.goto(f"{site}{STUDIO}courses/{ALL_COURSES[4]}/")
    expect(page.locator(f'#course-programmes [data-programme="{PROGRAMME}"]')).to_be_visible()
    assert_accessible(page, "course page")
    shot(page, "studio-course-en")


def test_pages_refuse_other_orgs_users_without_a_role_and_anonymous_users(
        browser, page, site, people, pku_programme):
    anonymous = new_page(browser)
    for path in (STUDIO, f"{STUDIO}programmes/new/", f"{STUDIO}programmes/{pku_programme}/",
                 f"{STUDIO}courses/{PKU_COURSE}/"):
        anonymous.goto(f"{site}{path}")
        assert "/login/?next=" in anonymous.url, path
    anonymous.context.close()

    sign_in(page, site, "wang", STUDIO)  # an ECNUx author
    expect(page.locator("#no-programmes")).to_be_visible()
    expect(page.locator(f'[data-programme="{pku_programme}"]')).to_have_count(0)
    response = page.goto(f"{site}{STUDIO}programmes/{pku_programme}/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    assert_accessible(page, "refused page")
    shot(page, "studio-refused-en")
    assert page.goto(f"{site}{STUDIO}courses/{PKU_COURSE}/").status == 403

    other = new_page(browser)
    sign_in(other, site, "nobody", STUDIO)
    expect(other.locator("#no-programmes")).to_contain_text("You do not have a course-team role")
    expect(other.locator("#new-programme")).to_have_count(0)
    shot(other, "studio-no-role-en")
    assert_accessible(other, "programme list without a role")
    assert other.goto(f"{site}{STUDIO}programmes/new/").status == 403
    assert other.goto(f"{site}{STUDIO}programmes/{pku_programme}/").status == 403
    assert not other.errors, other.errors
    other.context.close()


def test_every_page_in_chinese_is_accessible(browser, site, people, pku_programme):
    page = new_page(browser, locale="zh-CN")
    sign_in(page, site, "li", STUDIO)  # the PKUx author
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    row = page.locator(f'tr[data-programme="{pku_programme}"]')
    expect(row).to_contain_text("已发布")
    assert_accessible(page, "programme list (zh)")
    shot(page, "studio-list-zh")

    page.click(f'tr[data-programme="{pku_programme}"] a')
    expect(page.get_by_role("heading", name="要求")).to_be_visible()
    expect(page.locator("#issues")).to_contain_text("未发现问题")
    assert_accessible(page, "editor (zh)")
    shot(page, "studio-editor-zh")

    page.click('button[data-action="history"]')
    expect(page.locator("dialog[open]")).to_contain_text("版本 1")
    assert_accessible(page, "version history (zh)")
    page.keyboard.press("Escape")

    page.goto(f"{site}{STUDIO}programmes/new/")
    page.click('button[data-add="group"][data-path=""]')
    field(page, "requirements:0/min_count").fill("3")
    error = page.locator('[data-field="requirements:0/min_count"] .field__msg--error')
    expect(error).to_be_visible()
    assert_accessible(page, "new programme with an error (zh)")
    shot(page, "studio-new-error-zh")

    page.goto(f"{site}{STUDIO}courses/{PKU_COURSE}/")
    expect(page.locator(f'#course-programmes [data-programme="{pku_programme}"]')).to_be_visible()
    assert_accessible(page, "course page (zh)")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site}{STUDIO}programmes/{pku_programme}/")
    expect(page.locator("#status-card")).to_be_visible()
    shot(page, "studio-editor-zh-mobile")
    assert_accessible(page, "editor on a phone (zh)")
    assert not page.errors, page.errors
    page.context.close()


def test_the_requirement_tree_is_keyboard_usable(page, site, people):
    """Add, nest, reorder and remove requirements with the keyboard only; focus follows."""
    sign_in(page, site, "wang", f"{STUDIO}programmes/new/")
    add_group = page.locator('button[data-add="group"][data-path=""]')
    add_group.focus()
    page.keyboard.press("Enter")  # a group, its title focused
    page.keyboard.type("Electives")
    add_course_root = page.locator('button[data-add="course"][data-path=""]')
    for key in (ALL_COURSES[4], ALL_COURSES[5]):
        add_course_root.focus()
        page.keyboard.press("Enter")  # a course at the top level, its picker focused
        page.keyboard.type(key)
    tree = page.locator("#tree")
    expect(tree.locator("li.node")).to_have_count(3)

    # nest the first course into the group above it
    indent = page.locator('li.node[data-path="1"] > .node__box button[data-action="indent"]')
    indent.focus()
    page.keyboard.press("Enter")
    moved = page.locator('li.node[data-path="0.0"] > .node__box')
    expect(moved.locator(".node__summary")).to_contain_text(ALL_COURSES[4])
    expect(moved.locator('button[data-action="indent"]')).to_be_disabled()
    assert page.evaluate("document.activeElement.closest('li.node').dataset.path") == "0.0"

    # move the remaining top-level course up, above the group, then into nothing: out stays off
    page.locator('li.node[data-path="1"] > .node__box button[data-action="up"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator('li.node[data-path="0"] > .node__box .node__summary')).to_contain_text(
        ALL_COURSES[5])
    assert page.evaluate("document.activeElement.dataset.action") in ("down", "remove")
    # move the nested course out of its group
    page.locator('li.node[data-path="1.0"] > .node__box button[data-action="outdent"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator('li.node[data-path="2"] > .node__box .node__summary')).to_contain_text(
        ALL_COURSES[4])
    # remove it; focus lands on a neighbour, never lost
    page.locator('li.node[data-path="2"] > .node__box button[data-action="remove"]').focus()
    page.keyboard.press("Enter")
    expect(tree.locator("li.node")).to_have_count(2)
    assert page.evaluate("document.getElementById('tree').contains(document.activeElement)")
    # the empty group is an error, shown at the group
    empty = page.locator('[data-field="requirements:1/children"] .field__msg--error')
    expect(empty).to_be_visible()
    assert_accessible(page, "tree after keyboard edits")


def test_export_import_history_and_retire(page, site, people, pku_programme):
    """Export the XML, import a changed one as a draft, compare versions, publish, retire."""
    sign_in(page, site, "li", f"{STUDIO}programmes/{pku_programme}/")
    with page.expect_download() as download:
        page.click('button[data-action="export"]')
    xml = Path(download.value.path()).read_text(encoding="utf-8")
    assert f'<program id="{pku_programme}"' in xml and PKU_COURSE in xml

    page.click('button[data-action="import"]')
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Or paste the XML").fill("<program id=")  # broken: every problem listed
    dialog.locator('button[data-action="confirm-import"]').click()
    expect(dialog.locator(".alert--danger")).to_be_visible()
    changed = xml.replace("pku-programming title", "程序设计基础")
    dialog.get_by_label("Or paste the XML").fill(changed)
    dialog.locator('button[data-action="confirm-import"]').click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(field(page, "title")).to_have_value("程序设计基础")
    expect(page.locator("#savestate")).to_contain_text("All changes saved as a draft")

    # a check only the server can make (no programme has this id), shown at the field
    page.click('button[data-add="program"][data-path=""]')
    field(page, "requirements:1/ref").fill("no-such-programme")
    ref = page.locator('[data-field="requirements:1/ref"] .field__msg--error')
    expect(ref).to_contain_text("unknown programme ref 'no-such-programme'")
    page.locator('li.node[data-path="1"] button[data-action="remove"]').click()
    expect(ref).to_have_count(0)
    expect(page.locator("#issues")).to_contain_text("No problems found")

    page.click('button[data-action="history"]')
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".versions li")).to_have_count(2)
    dialog.get_by_role("button", name="Compare with version 1").click()
    expect(dialog.locator(".diff .add")).to_contain_text(["程序设计基础"])
    assert_accessible(page, "version history with a diff")
    shot_of(dialog, "studio-history-dialog-en")
    page.keyboard.press("Escape")

    page.click('button[data-action="publish"]')
    page.locator('dialog[open] button[data-action="confirm-publish"]').click()
    expect(page.locator("#status-card dd").first).to_have_text("2")  # published version

    page.click('button[data-action="retire"]')
    page.locator('dialog[open] button[data-action="confirm-retire"]').click()
    expect(page.locator("#status-card [data-status]")).to_have_attribute("data-status", "retired")
    expect(field(page, "title")).to_be_disabled()  # a retired programme is read-only
    expect(page.locator('button[data-action="save"]')).to_have_count(0)
    assert api.get_program(program_id=pku_programme).status == "retired"


def test_a_viewer_reads_the_editor_without_changing_anything(page, site, people, pku_programme):
    viewer = get_user_model().objects.create_user("zhao", "zhao@example.com", PASSWORD)
    OrgRole.objects.create(user=viewer, org="PKUx", role=OrgRole.VIEWER)
    sign_in(page, site, "zhao", f"{STUDIO}programmes/{pku_programme}/")
    notice = page.locator(".alert--info").first
    expect(notice).to_contain_text("your role in its organisation is viewer")
    expect(field(page, "title")).to_be_disabled()
    expect(page.locator('li.node button[data-action="remove"]')).to_be_disabled()
    for action in ("save", "publish", "import", "retire"):
        expect(page.locator(f'button[data-action="{action}"]')).to_have_count(0)
    page.click('button[data-action="preview"]')  # reading is allowed
    expect(page.locator("dialog[open] #preview-narrative")).to_contain_text("程序设计")
    assert_accessible(page, "editor, read-only")
