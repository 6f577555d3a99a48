"""
A synthetic programme catalogue: N programmes over M courses, generated as XML definitions and
imported through the real importer (``openedx_microcred.programs.import_program``), so versions,
the canonical XML and the leaf index are exactly what production writes.

Shape (deterministic for a seed):
* ``orgs`` organisations, each with ``courses / orgs`` course numbers
  (``course-v1:ORGnn+Cnnn+2025``); each org has a few "core" courses that many of its programmes
  share (a skewed popularity);
* every programme: an all-of core group, a min-count elective group, often a min-credits group
  with a nested min-count group (three levels), leaves with ``runs="this"`` (~20%),
  ``min-grade`` (~5%), some cross-org courses;
* ~10% ``completion="certificate"`` (some leaves ``mode="verified"``), ~5% a completion window,
  ~30% ``credential valid-months``, ~10% without declared credits (computed);
* ~10% have an external leaf with a badge template;
* ~12% (after the first 50) stack on 2–4 earlier programmes of the same org, sometimes with
  courses too, and ~8% more add one programme leaf to an ordinary programme.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

CORE_PER_ORG = 10
RUN = "2025"
OTHER_RUN = "2024"  # completions in another run count for runs="any" leaves only


@dataclass
class Catalogue:
    """What was generated: the XML texts and the facts the workload generator needs."""

    orgs: int
    numbers: int
    xmls: list[str] = field(default_factory=list)
    # programme index -> list of (course key, runs) of its course leaves
    leaves: list[list[tuple[str, str]]] = field(default_factory=list)
    badge_templates: list[str] = field(default_factory=list)

    def course_key(self, org: int, number: int, run: str = RUN) -> str:
        return f"course-v1:ORG{org:02d}+C{number:03d}+{run}"

    @property
    def course_count(self) -> int:
        return self.orgs * self.numbers


def generate(programs: int, courses: int, *, orgs: int = 25, seed: int = 1) -> Catalogue:
    """Generate ``programs`` definitions over ``courses`` courses."""
    rng = random.Random(seed)
    numbers = max(courses // orgs, 20)
    cat = Catalogue(orgs=orgs, numbers=numbers)
    by_org: dict[int, list[int]] = {}
    for index in range(programs):
        org = index % orgs
        earlier = by_org.setdefault(org, [])
        xml, leaves = _program(rng, cat, index, org, earlier)
        cat.xmls.append(xml)
        cat.leaves.append(leaves)
        earlier.append(index)
    return cat


def program_id(index: int) -> str:
    return f"bench-prog-{index:04d}"


class _Builder:
    def __init__(self, rng: random.Random, cat: Catalogue, org: int):
        self.rng, self.cat, self.org = rng, cat, org
        self.used: set[tuple[int, int]] = set()
        self.leaves: list[tuple[str, str]] = []
        self.certificate = False

    def pick_course(self) -> tuple[int, int]:
        rng = self.rng
        for _ in range(100):
            org = self.org if rng.random() < 0.9 else rng.randrange(self.cat.orgs)
            if rng.random() < 0.35:
                number = rng.randrange(CORE_PER_ORG)
            else:
                number = rng.randrange(self.cat.numbers)
            if (org, number) not in self.used:
                self.used.add((org, number))
                return org, number
        raise RuntimeError("catalogue too small for the requested programme size")

    def course(self) -> tuple[str, float]:
        rng = self.rng
        org, number = self.pick_course()
        key = self.cat.course_key(org, number)
        credits = rng.choice((1, 1, 1.5, 2, 2, 3))
        attrs = {"key": key, "credits": f"{credits:g}", "hours": str(int(credits * 18))}
        runs = "this" if rng.random() < 0.2 else "any"
        if runs == "this":
            attrs["runs"] = "this"
        if rng.random() < 0.05:
            attrs["min-grade"] = rng.choice(("0.6", "0.7", "0.8"))
        if self.certificate and rng.random() < 0.5:
            attrs["mode"] = "verified"
        self.leaves.append((key, runs))
        return _element("course", attrs, f"Course {org}-{number}"), credits

    def courses(self, count: int) -> tuple[list[str], float]:
        items = [self.course() for _ in range(count)]
        return [xml for xml, _ in items], sum(credit for _, credit in items)


def _program(rng: random.Random, cat: Catalogue, index: int, org: int,
             earlier: list[int]) -> tuple[str, list[tuple[str, str]]]:
    builder = _Builder(rng, cat, org)
    builder.certificate = rng.random() < 0.10
    parts: list[str] = []
    stack = index >= 50 and len(earlier) >= 4 and rng.random() < 0.12
    if stack:
        refs = rng.sample(earlier, rng.randint(2, min(4, len(earlier))))
        leaves = [_element("program", {"ref": program_id(r), "credits": "3"}, "") for r in refs]
        need = rng.randint(1, len(leaves))
        parts.append(_group(leaves, title="Stacked", min_count=need))
        if rng.random() < 0.5:
            courses, _ = builder.courses(rng.randint(1, 2))
            parts.append(_group(courses, title="Capstone"))
    else:
        core, _ = builder.courses(rng.randint(2, 4))
        parts.append(_group(core, title="Core"))
        electives, _ = builder.courses(rng.randint(3, 6))
        parts.append(_group(electives, title="Electives",
                            min_count=rng.randint(1, len(electives) - 1)))
        if rng.random() < 0.6:
            flat, flat_credits = builder.courses(rng.randint(2, 4))
            nested, nested_credits = builder.courses(2)
            available = flat_credits + nested_credits
            flat.append(_group(nested, title="Track", min_count=1))
            parts.append(_group(flat, title="Advanced",
                                min_credits=f"{max(1, int(available * 0.5)):d}"))
        if earlier and rng.random() < 0.08:
            parts.append(_element("program", {"ref": program_id(rng.choice(earlier)),
                                              "credits": "2"}, ""))
    if rng.random() < 0.10:
        template = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cat.badge_templates.append(template)
        parts.append(_element("external", {"id": f"ext-{index}", "credits": "1",
                                           "badge-template": template}, "Industry badge"))
    attrs = {"id": program_id(index), "org": f"ORG{org:02d}", "lang": "en",
             "completion": "certificate" if builder.certificate else "passing"}
    if rng.random() < 0.9:
        attrs["credits"] = str(rng.randint(6, 20))
    extra = ""
    if rng.random() < 0.05:
        extra += '<completion-window from="2024-01-01" until="2027-12-31"/>'
    if rng.random() < 0.3:
        extra += f'<credential valid-months="{rng.choice((12, 24, 36))}"/>'
    xml = (
        f"<program {' '.join(f'{k}={quoteattr(v)}' for k, v in attrs.items())}>"
        f"<title>Bench programme {index}</title>"
        f"<description>A generated programme for the benchmark.</description>"
        f'<issuer name="Bench University {org}" url="https://bench.example/{org}" country="CN"/>'
        f"<outcome>Does the thing.</outcome>{extra}"
        f"<requirements>{''.join(parts)}</requirements></program>"
    )
    return xml, builder.leaves


def _element(tag: str, attrs: dict[str, str], text: str) -> str:
    rendered = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag} {rendered}>{text}</{tag}>"


def _group(children: list[str], *, title: str = "", min_count: int | None = None,
           min_credits: str | None = None) -> str:
    attrs = {"title": title} if title else {}
    if min_count is not None:
        attrs["min-count"] = str(min_count)
    if min_credits is not None:
        attrs["min-credits"] = min_credits
    rendered = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<group{rendered}>{''.join(children)}</group>"


def import_all(cat: Catalogue) -> None:
    """Import every definition with the real importer, in generation order (refs come first)."""
    from openedx_microcred.programs import import_program

    for xml in cat.xmls:
        import_program(xml)
