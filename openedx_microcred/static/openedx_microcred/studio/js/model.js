// The editor's model of a programme definition (DESIGN §3) and the checks the browser can make
// at once, in plain language, before the server's validate endpoint answers.
//
// Editor model: every field of the XML contract, numbers kept as the strings the author typed
// (so "3." is not rewritten under their cursor). Nodes:
//   {type: 'group', title, min_count, min_credits, children: [...]}
//   {type: 'course', key, title, credits, hours, runs, min_grade, mode}
//   {type: 'program', ref, title, credits}
//   {type: 'external', id, title, credits, badge_template}
// A node's path is the index chain from the root group, '0.2.1', as the server reports paths.
import { gettext, interpolate } from './i18n.js';

export const ACHIEVEMENT_TYPES = [
  'MicroCredential', 'Achievement', 'ApprenticeshipCertificate', 'Assessment', 'Assignment',
  'AssociateDegree', 'Award', 'Badge', 'BachelorDegree', 'Certificate', 'CertificateOfCompletion',
  'Certification', 'CommunityService', 'Competency', 'Course', 'CoCurricular', 'Degree', 'Diploma',
  'DoctoralDegree', 'Fieldwork', 'GeneralEducationDevelopment', 'JourneymanCertificate',
  'LearningProgram', 'License', 'Membership', 'ProfessionalDoctorate', 'QualityAssuranceCredential',
  'MasterCertificate', 'MasterDegree', 'ResearchDoctorate', 'SecondarySchoolDiploma',
];

const SLUG = /^[A-Za-z0-9_-]{1,100}$/;
const EXTERNAL_ID = /^[A-Za-z0-9_.-]{1,255}$/;
const DECIMAL = /^\d{1,9}(\.\d{1,3})?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const COURSE_KEY = /^course-v1:([^+\s/]+)\+([^+\s/]+)\+([^+\s/]+)$/;
const MODE = /^[a-z][a-z0-9-]{0,63}$/;
// Words in a group title that promise a choice ("choose 2 of…", 选修…).
const CHOICE_WORDS = /\b(elective|electives|optional|choose|choice|option|options|one of|any of|pick)\b|选修|任选|选择|可选|选\s*\d|任意/i;

export function emptyProgramme(org = '') {
  return {
    id: '', org, lang: typeof document !== 'undefined' && document.documentElement.lang === 'zh-Hans' ? 'zh-Hans' : 'en',
    achievement_type: 'MicroCredential', completion: 'passing', credits: '',
    title: '', description: '', issuer: { name: '', url: '', country: '' },
    audiences: [], outcomes: [], field_of_study: '', level: { framework: '', value: '' },
    assessment: '', participation: '', quality_assurance: '', duration: '', fee: '', pathway: '',
    workload_hours: '', window_from: '', window_until: '', valid_months: '', public_grades: 'false',
    requirements: emptyGroup(''),
  };
}

export function emptyGroup(title = '') {
  return { type: 'group', title, min_count: '', min_credits: '', children: [] };
}

export function emptyLeaf(type) {
  if (type === 'course') return { type, key: '', title: '', credits: '', hours: '', runs: 'any', min_grade: '', mode: '' };
  if (type === 'program') return { type, ref: '', title: '', credits: '' };
  return { type: 'external', id: '', title: '', credits: '', badge_template: '' };
}

// --- tree helpers ------------------------------------------------------------------------

export function nodeAt(root, path) {
  if (path === '') return root;
  return path.split('.').reduce((node, index) => node.children[Number(index)], root);
}

export function parentPath(path) {
  const parts = path.split('.');
  parts.pop();
  return parts.join('.');
}

export function childPath(path, index) {
  return path === '' ? String(index) : `${path}.${index}`;
}

export function* walk(node, path = '') {
  yield [path, node];
  if (node.type === 'group') {
    for (let i = 0; i < node.children.length; i += 1) yield* walk(node.children[i], childPath(path, i));
  }
}

// --- credits (a port of rules.minimum_credits, exact; thousandths as integers) -----------

function milli(value) {
  if (value === '' || value === null || value === undefined) return 0;
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? Math.round(number * 1000) : 0;
}

function achievable(node, cap) {
  if (node.type !== 'group') {
    const credits = milli(node.credits);
    const options = new Map([[`1|${Math.min(credits, cap)}`, credits]]);
    if (credits) options.set('0|0', 0);
    return options;
  }
  const minCount = node.min_count === '' ? null : Number(node.min_count);
  const minCredits = node.min_credits === '' ? null : milli(node.min_credits);
  const localCap = Math.max(cap, minCredits || 0);
  const needed = minCount === null ? node.children.length : minCount;
  // A group with min-count only counts its best N satisfied children (rules._counts_best).
  const bestOnly = minCount !== null && minCredits === null;
  // state: "satisfied children|counted children|capped counted total" -> least actual total.
  let states = new Map([['0|0|0', 0]]);
  for (const child of node.children) {
    const combined = new Map();
    const options = achievable(child, localCap);
    for (const [state, actual] of states) {
      const [count, used, capped] = state.split('|').map(Number);
      for (const [option, extraActual] of options) {
        const [ok, extra] = option.split('|').map(Number);
        let moves;
        if (!bestOnly) moves = [[used, extra]];
        else if (!ok) moves = [[used, 0]];
        else moves = used < needed ? [[used, 0], [used + 1, extra]] : [[used, 0]];
        for (const [newUsed, added] of moves) {
          const key = `${Math.min(count + ok, needed)}|${newUsed}|${Math.min(capped + added, localCap)}`;
          const total = actual + extraActual;
          if (!combined.has(key) || total < combined.get(key)) combined.set(key, total);
        }
      }
    }
    states = combined;
  }
  const out = new Map();
  for (const [state, actual] of states) {
    const [count, , capped] = state.split('|').map(Number);
    const met = (minCount === null && minCredits === null)
      ? count === node.children.length
      : (minCount === null || count >= minCount) && (minCredits === null || capped >= minCredits);
    const key = `${met ? 1 : 0}|${Math.min(capped, cap)}`;
    if (!out.has(key) || actual < out.get(key)) out.set(key, actual);
  }
  return out;
}

/** The least total of leaf credits that completes `group`, or null when nothing can. */
export function minimumCredits(group) {
  const totals = [...achievable(group, 0)].filter(([key]) => key.startsWith('1|')).map(([, v]) => v);
  return totals.length ? Math.min(...totals) / 1000 : null;
}

/** The most credits `node` can count (a port of rules.maximum_credits): a leaf its credits, a
 * group with min-count only its best N children, any other group all of them. */
export function availableCredits(node) {
  if (node.type !== 'group') return milli(node.credits) / 1000;
  let children = node.children.map(availableCredits).sort((a, b) => b - a);
  if (node.min_count !== '' && node.min_credits === '') children = children.slice(0, Number(node.min_count));
  return children.reduce((sum, value) => sum + value, 0);
}

/** Sum of the course hours under `node` ('' when no course gives hours). */
export function courseHours(node) {
  let total = 0;
  let any = false;
  for (const [, item] of walk(node)) {
    if (item.type === 'course' && item.hours !== '') { total += milli(item.hours); any = true; }
  }
  return any ? total / 1000 : '';
}

// --- checks --------------------------------------------------------------------------------

/**
 * Problems the browser can see at once: [{field, level: 'error'|'warning', message}], where
 * `field` is a top-level field name ('title', 'issuer.url', …) or 'requirements:<path>' plus
 * '/<attribute>' for a node ('requirements:1/min_count'). `courses` (a Map key -> course, or
 * null) adds the "no such course" warning; the server checks the same with the adapter.
 */
export function checkProgramme(def, { courses = null } = {}) {
  const issues = [];
  const error = (field, message) => issues.push({ field, level: 'error', message });
  const warning = (field, message) => issues.push({ field, level: 'warning', message });
  const decimal = (field, value, label) => {
    if (value !== '' && !DECIMAL.test(String(value).trim())) {
      error(field, interpolate(gettext('%(label)s must be a number of at least 0, with at most 3 decimal places.'), { label }));
    }
  };

  if (!def.id.trim()) error('id', gettext('Give the programme an id: it appears in its web address and cannot change later.'));
  else if (!SLUG.test(def.id.trim())) error('id', gettext('Use only letters, digits, "-" and "_" in the id (at most 100 characters).'));
  if (!def.org) error('org', gettext('Choose the organisation that issues this programme.'));
  if (!def.title.trim()) error('title', gettext('Give the programme a title: learners see it on their credential.'));
  else if (def.title.length > 500) error('title', gettext('Keep the title under 500 characters.'));
  decimal('credits', def.credits, gettext('Credits'));
  decimal('workload_hours', def.workload_hours, gettext('Workload'));
  if (def.issuer.url && !/^https?:\/\/\S+$/.test(def.issuer.url.trim())) error('issuer.url', gettext('The issuer web address must start with https:// or http://.'));
  if (def.issuer.country && !/^[A-Z]{2}$/.test(def.issuer.country.trim())) error('issuer.country', gettext('Use the two capital letters of the ISO 3166 country code, e.g. CN or GB.'));
  if ((def.issuer.url || def.issuer.country) && !def.issuer.name.trim()) error('issuer.name', gettext('Name the issuer, or clear its address and country.'));
  if (def.level.value.trim() && !def.level.framework.trim()) error('level.framework', gettext('Name the framework of this level, e.g. EQF or AQF.'));
  if (def.level.framework.trim() && !def.level.value.trim()) error('level.value', gettext('Give the level in this framework, e.g. 6.'));
  if (def.valid_months !== '' && !/^[1-9]\d{0,5}$/.test(String(def.valid_months).trim())) error('valid_months', gettext('Validity is a whole number of months, at least 1 (leave it empty for no expiry).'));
  if (def.window_from && def.window_until && def.window_from > def.window_until) error('window_until', gettext('The window ends before it starts: make "until" later than "from".'));
  def.audiences.forEach((text, i) => { if (!text.trim()) error(`audiences.${i}`, gettext('Fill in this audience or remove it.')); });
  def.outcomes.forEach((text, i) => { if (!text.trim()) error(`outcomes.${i}`, gettext('Fill in this learning outcome or remove it.')); });

  checkTree(def, { error, warning, courses });

  if (def.credits !== '' && DECIMAL.test(String(def.credits).trim()) && def.requirements.children.length) {
    const least = minimumCredits(def.requirements);
    if (least !== null && Math.abs(least - Number(def.credits)) > 0.0005) {
      warning('credits', interpolate(gettext('The programme says %(declared)s credits, but the requirements can be completed with %(least)s. Learners earn at most %(declared)s.'),
        { declared: Number(def.credits), least }));
    }
  }
  return issues;
}

function checkTree(def, { error, warning, courses }) {
  const root = def.requirements;
  if (!root.children.length) {
    error('requirements:', gettext('Add at least one requirement: a course, a group of courses, a programme or an external achievement.'));
    return;
  }
  const seenCourses = new Map();
  const seenIds = new Set();
  for (const [path, node] of walk(root)) {
    const at = (attribute) => `requirements:${path}/${attribute}`;
    if (node.type === 'group') {
      if (path === '') continue;
      const size = node.children.length;
      if (!size) error(at('children'), gettext('This group is empty: add requirements to it or remove it.'));
      if (node.min_count !== '') {
        const count = Number(node.min_count);
        if (!/^\d+$/.test(String(node.min_count).trim()) || count < 1) error(at('min_count'), gettext('"At least" must be a whole number, 1 or more.'));
        else if (count > size) {
          error(at('min_count'), interpolate(gettext('Learners must complete %(count)s of this group, but it has only %(size)s requirements. Add requirements or lower the number.'), { count, size }));
        }
      }
      if (node.min_credits !== '') {
        if (!DECIMAL.test(String(node.min_credits).trim())) error(at('min_credits'), gettext('Minimum credits must be a number of at least 0.'));
        else if (Number(node.min_credits) > availableCredits(node) + 1e-9) {
          error(at('min_credits'), interpolate(gettext('This group asks for %(needed)s credits, but its requirements carry only %(available)s.'), { needed: Number(node.min_credits), available: availableCredits(node) }));
        }
      }
      if (node.min_count === '' && node.min_credits === '' && size > 1 && CHOICE_WORDS.test(node.title || '')) {
        warning(at('min_count'), interpolate(gettext('"%(title)s" sounds like a choice, but learners must complete all %(size)s requirements. Set "At least" to let them choose.'), { title: node.title, size }));
      }
      continue;
    }
    const credits = String(node.credits ?? '').trim();
    if (credits !== '' && !DECIMAL.test(credits)) error(at('credits'), gettext('Credits must be a number of at least 0, with at most 3 decimal places.'));
    if (node.type === 'course') {
      const key = node.key.trim();
      const match = COURSE_KEY.exec(key);
      if (!key) error(at('key'), gettext('Choose a course.'));
      else if (!match) error(at('key'), gettext('This is not a course run key; it looks like course-v1:ORG+NUMBER+RUN.'));
      else {
        const identity = node.runs === 'this' ? key : `${match[1]}+${match[2]}`;
        if (seenCourses.has(identity) || seenCourses.has(`${match[1]}+${match[2]}`) || seenCourses.has(key)) {
          error(at('key'), gettext('This course is already required elsewhere in the programme: one completion would satisfy both.'));
        }
        seenCourses.set(identity, path);
        if (courses && !courses.has(key)) warning(at('key'), gettext('No course in Studio has this key: check it, or learners can never complete it.'));
      }
      if (node.hours !== '' && !DECIMAL.test(String(node.hours).trim())) error(at('hours'), gettext('Hours must be a number of at least 0.'));
      if (node.min_grade !== '' && !(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/.test(String(node.min_grade).trim()))) {
        error(at('min_grade'), gettext('The minimum grade is a fraction between 0 and 1, e.g. 0.8 for 80%.'));
      }
      if (node.mode && def.completion !== 'certificate') error(at('mode'), gettext('A certificate mode only applies when the programme counts earned certificates (completion basis).'));
      else if (node.mode && !MODE.test(node.mode)) error(at('mode'), gettext('Use a mode name such as verified or professional.'));
    } else if (node.type === 'program') {
      const ref = node.ref.trim();
      if (!SLUG.test(ref)) error(at('ref'), gettext('Give the id of the programme learners must hold.'));
      else if (ref === def.id.trim()) error(at('ref'), gettext('A programme cannot require itself.'));
      else if (seenIds.has(`program:${ref}`)) error(at('ref'), gettext('This programme is already required elsewhere.'));
      seenIds.add(`program:${ref}`);
    } else {
      const id = node.id.trim();
      if (!EXTERNAL_ID.test(id)) error(at('id'), gettext('Give the achievement an id (letters, digits, ".", "-", "_").'));
      else if (seenIds.has(`external:${id}`)) error(at('id'), gettext('This achievement is already required elsewhere.'));
      seenIds.add(`external:${id}`);
      if (node.badge_template && !UUID.test(node.badge_template.trim())) error(at('badge_template'), gettext('The badge template is a UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301.'));
    }
  }
}
