"""
Words and numbers of the learner's pages, in the active language.

Turns the learner read model (``learners``: programmes with requirement states, credentials)
into what the templates print: each group's rule in words ("2 of 4 — 1 more needed"), each
leaf's state, credits or hours, the deadline, the next step, share links. No queries here
beyond what the caller passes in; the stylesheet and script are inlined (CSP hashes), so the
pages need no static-files pipeline in the LMS.
"""
from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlencode

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import qr, requirement_states
from .certificates import measure_text
from .formatting import display_date, display_number
from .languages import HTML_LANG, LANGUAGES, supported_language
from .learners import LearnerCredentialData, LearnerProgrammeData
from .requirement_states import RequirementState

STATIC = Path(__file__).parent / "static" / "openedx_microcred"
LINKEDIN_ADD = "https://www.linkedin.com/profile/add"

STATE_LABELS = {
    requirement_states.DONE: gettext_lazy("Done"),
    requirement_states.IN_PROGRESS: gettext_lazy("In progress"),
    requirement_states.NOT_STARTED: gettext_lazy("Not started"),
    requirement_states.NOT_NEEDED: gettext_lazy("No longer needed"),
}
KIND_LABELS = {"course": gettext_lazy("Course"), "program": gettext_lazy("Programme"),
               "external": gettext_lazy("External achievement")}
STATUS_LABELS = {"awarded": gettext_lazy("Valid"), "revoked": gettext_lazy("Revoked"),
                 "expired": gettext_lazy("Expired")}


def page_language(request) -> str:
    """``?lang=`` when supported, else the LMS's choice (user preference, Accept-Language)."""
    return (supported_language(request.GET.get("lang", ""))
            or supported_language(translation.get_language() or "") or "en")


@cache
def _inline(name: str) -> tuple[str, str]:
    text = (STATIC / name).read_text(encoding="utf-8").strip()
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"'sha256-{digest}'"


def page_context(language: str, page: str) -> dict:
    """What every learner page needs: language, inlined stylesheet and script with hashes."""
    css, style_hash = _inline("learner.css")
    script, script_hash = _inline("widget.js" if page == "widget" else "learner.js")
    return {"lang": language, "html_lang": HTML_LANG[language], "page": page, "css": css,
            "style_hash": style_hash, "script": script, "script_hash": script_hash,
            "languages": [{"code": code, "name": name, "html_lang": HTML_LANG[code],
                           "current": code == language} for code, name in LANGUAGES.items()]}


# --- Programmes -------------------------------------------------------------------------------

def dashboard_context(*, programmes: list[LearnerProgrammeData],
                      credentials: list[LearnerCredentialData]) -> dict:
    """The learner page: programmes in progress, completed ones, and credentials."""
    shown = [programme_view(p) for p in programmes]
    return {
        "in_progress": [p for p in shown if not p["complete"]],
        "completed": [p for p in shown if p["complete"]],
        "credentials": [credential_view(c) for c in credentials],
    }


def course_context(*, course_key: str, programmes: list[LearnerProgrammeData]) -> dict:
    """The course tab's page."""
    return {"course_key": course_key, "programmes": [programme_view(p) for p in programmes]}


def widget_context(*, programmes: list[LearnerProgrammeData],
                   credentials: list[LearnerCredentialData]) -> dict:
    """The widget: up to three programmes in progress and the number of valid credentials."""
    in_progress = [programme_view(p) for p in programmes if not p.complete]
    return {"signed_in": True, "widget_programmes": in_progress[:3],
            "more_programmes": max(0, len(in_progress) - 3),
            "valid_credentials": sum(c.status == "awarded" for c in credentials)}


def programme_view(programme: LearnerProgrammeData) -> dict:
    """One programme as the templates print it."""
    if programme.uses_credits:
        earned, required = programme.credits_earned, programme.credits_required
        measure = _("%(earned)s of %(required)s credits") % {
            "earned": display_number(earned), "required": display_number(required)}
    elif programme.hours_required:
        earned, required = programme.hours_earned, programme.hours_required
        measure = _("%(earned)s of %(required)s hours") % {
            "earned": display_number(earned), "required": display_number(required)}
    else:
        leaves = programme.tree.leaves
        earned = Decimal(sum(leaf.state == requirement_states.DONE for leaf in leaves))
        required = Decimal(len(leaves))
        measure = _("%(earned)s of %(required)s requirements") % {
            "earned": display_number(earned), "required": display_number(required)}
    percent = int(min(Decimal(100), earned * 100 / required)) if required else 0
    return {
        "data": programme, "program_id": programme.program_id, "title": programme.title,
        "complete": programme.complete, "measure": measure, "percent": percent,
        "deadline": display_date(programme.window_until)
        if programme.window_until else "",
        "tree": node_view(programme.tree, root=True),
        "remaining": [leaf.title for leaf in programme.remaining],
        "still_to_do": ("；" if translation.get_language() == "zh-hans" else "; ").join(
            outstanding_text(part) for part in programme.outstanding),
        "next_step": next_step_text(programme.next_step),
        "credential_uuid": programme.credential_uuid,
    }


def node_view(node: RequirementState, *, root: bool = False) -> dict:
    """A tree node with its words: state, date, rule (groups), credits or hours (leaves)."""
    view = {"node": node, "path": node.path or "root", "kind": node.kind,
            "title": node.title or (_("All requirements") if root else _("Requirements")),
            "state": node.state, "state_label": STATE_LABELS[node.state],
            "date": display_date(node.achieved_at)
            if node.achieved_at else "",
            "kind_label": KIND_LABELS.get(node.kind, ""), "root": root}
    if node.kind == "group":
        view["rule"] = rule_text(node)
        view["children"] = [node_view(child) for child in node.children]
    else:
        view["measure"] = leaf_measure(node)
    return view


def rule_text(node: RequirementState) -> str:
    """A group's rule in words: "All 3 required — 1 more needed", "2 of 4 — done"…"""
    rule = node.rule
    if rule is None:
        return ""
    done = node.state == requirement_states.DONE
    if rule.kind == "all":
        text = _("All %(total)s required") % {"total": rule.total}
    elif rule.kind == "count":
        text = _("%(needed)s of %(total)s") % {"needed": rule.needed, "total": rule.total}
    elif rule.kind == "credits":
        text = _("At least %(credits)s credits") % {"credits": display_number(rule.credits_needed)}
    else:
        text = _("%(needed)s of %(total)s, at least %(credits)s credits") % {
            "needed": rule.needed, "total": rule.total,
            "credits": display_number(rule.credits_needed)}
    if done:
        return _("%(rule)s — done") % {"rule": text}
    if rule.kind in ("all", "count") or (rule.kind == "count_credits" and rule.remaining):
        return _("%(rule)s — %(count)s more needed") % {"rule": text, "count": rule.remaining}
    return _("%(rule)s — %(counted)s so far") % {"rule": text,
                                                  "counted": display_number(rule.credits_counted)}


def leaf_measure(node: RequirementState) -> str:
    """A leaf's credits (else hours) in words, or ``""``."""
    return measure_text(node.credits, node.hours)


def outstanding_text(part: requirement_states.Outstanding) -> str:
    """"Python, Statistics", "1 more of: A, B, C (Electives)", "3 more credits from: …"."""
    titles = _list([leaf.title for leaf in part.leaves])
    if part.credits is not None:
        text = _("%(credits)s more credits from: %(titles)s") % {
            "credits": display_number(part.credits), "titles": titles}
    elif part.choose is not None:
        text = _("%(count)s more of: %(titles)s") % {"count": part.choose, "titles": titles}
    else:
        return titles
    return _("%(text)s (%(group)s)") % {"text": text, "group": part.group_title} \
        if part.group_title else text


def next_step_text(step: requirement_states.NextStep) -> str:
    """The next step in one sentence (``""`` when the programme is complete)."""
    if not step.leaves:
        return ""
    titles = _list([leaf.title for leaf in step.leaves])
    if step.choose:
        if step.group_title:
            return _("Choose %(count)s more in “%(group)s”: %(titles)s.") % {
                "count": step.choose, "group": step.group_title, "titles": titles}
        return _("Choose %(count)s more of: %(titles)s.") % {"count": step.choose,
                                                             "titles": titles}
    leaf = step.leaves[0]
    if leaf.state == requirement_states.IN_PROGRESS:
        return _("Continue “%(title)s”.") % {"title": leaf.title}
    if leaf.kind == "program":
        return _("Earn the “%(title)s” credential.") % {"title": leaf.title}
    return _("Complete “%(title)s”.") % {"title": leaf.title}


# --- Credentials ------------------------------------------------------------------------------

def credential_view(credential: LearnerCredentialData) -> dict:
    """One credential with its status words, share links and downloads."""
    valid = credential.status == "awarded"
    share_text = _("I earned the “%(title)s” micro-credential from %(issuer)s. "
                   "Verify it: %(url)s") % {"title": credential.title,
                                             "issuer": credential.issuer_name,
                                             "url": credential.verify_url}
    return {
        "data": credential, "uuid": credential.uuid, "title": credential.title,
        "status": credential.status, "status_label": STATUS_LABELS[credential.status],
        "valid": valid,
        "issued": display_date(credential.issued_at),
        "expires": display_date(credential.expires_at)
        if credential.expires_at else "",
        "revoked": display_date(credential.revoked_at)
        if credential.revoked_at else "",
        "revocation_reason": revocation_text(credential),
        "measure": credential_measure(credential),
        "share_text": share_text if valid else "",
        "linkedin_url": linkedin_url(credential) if valid else "",
        "qr_svg": qr.qr_svg(credential.verify_url, label=_(
            "QR code with the address of the verification page of “%(title)s”") % {
                "title": credential.title}) if valid and credential.verify_url else "",
        "items": [{"title": item.title, "kind_label": KIND_LABELS.get(item.kind, "")}
                  for item in credential.items],
    }


def revocation_text(credential: LearnerCredentialData) -> str:
    """Why the credential was revoked, as the learner may read it."""
    if credential.status != "revoked":
        return ""
    if credential.revoked_by == "rule":
        return _("The programme's requirements are no longer met.")
    return credential.revocation_reason or _("The issuer gave no reason.")


def credential_measure(credential: LearnerCredentialData) -> str:
    """"12 credits" or "216 hours" (``""`` when it has neither)."""
    return measure_text(credential.credits_earned, credential.hours)


def linkedin_url(credential: LearnerCredentialData) -> str:
    """LinkedIn's "Add licence or certification" link, pre-filled with the credential."""
    return linkedin_add_url(title=credential.title, issuer=credential.issuer_name,
                            issued_at=credential.issued_at, expires_at=credential.expires_at,
                            page_url=credential.verify_url, credential_id=str(credential.uuid))


def linkedin_add_url(*, title: str, issuer: str, issued_at, expires_at, page_url: str,
                     credential_id: str) -> str:
    """LinkedIn's "Add licence or certification" link (its documented query parameters)."""
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME", "name": title, "organizationName": issuer,
        "issueYear": issued_at.year, "issueMonth": issued_at.month}
    if expires_at:
        params["expirationYear"] = expires_at.year
        params["expirationMonth"] = expires_at.month
    params["certUrl"] = page_url
    params["certId"] = credential_id
    return f"{LINKEDIN_ADD}?{urlencode(params, quote_via=quote)}"  # safe="": "/" encoded too


def _list(items: list[str]) -> str:
    return ("、" if translation.get_language() == "zh-hans" else ", ").join(items)
