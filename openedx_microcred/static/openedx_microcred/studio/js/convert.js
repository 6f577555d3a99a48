// Conversions between the REST API's JSON form of a definition (program.schema.json: nulls for
// absent members, numbers or decimal strings, JSON Pointer paths in errors) and the editor's
// model (strings as typed, '' for absent), and from API paths to the editor's field names.
import { emptyProgramme } from './model.js';

const text = (value) => (value === null || value === undefined ? '' : String(value));
const optional = (value) => {
  const trimmed = text(value).trim();
  return trimmed === '' ? null : trimmed;
};

function nodeFromApi(node) {
  const type = node.type || 'group';
  if (type === 'group') {
    return {
      type, title: text(node.title), min_count: text(node.min_count), min_credits: text(node.min_credits),
      children: (node.children || []).map(nodeFromApi),
    };
  }
  if (type === 'course') {
    return {
      type, key: text(node.key), title: text(node.title), credits: text(node.credits), hours: text(node.hours),
      runs: node.runs || 'any', min_grade: text(node.min_grade), mode: text(node.mode),
    };
  }
  if (type === 'program') return { type, ref: text(node.ref), title: text(node.title), credits: text(node.credits) };
  return { type: 'external', id: text(node.id), title: text(node.title), credits: text(node.credits), badge_template: text(node.badge_template) };
}

/** The editor model of an API definition. */
export function fromApi(json) {
  const def = emptyProgramme(json.org || '');
  const span = json.completion_window || {};
  return {
    ...def,
    id: text(json.id), org: text(json.org), lang: json.lang || 'en',
    achievement_type: json.achievement_type || 'MicroCredential', completion: json.completion || 'passing',
    credits: text(json.credits), title: text(json.title), description: text(json.description),
    issuer: { name: text(json.issuer?.name), url: text(json.issuer?.url), country: text(json.issuer?.country) },
    audiences: (json.audiences || []).map(text), outcomes: (json.outcomes || []).map(text),
    field_of_study: text(json.field_of_study),
    level: { framework: text(json.level?.framework), value: text(json.level?.value) },
    assessment: text(json.assessment), participation: text(json.participation),
    quality_assurance: text(json.quality_assurance), duration: text(json.duration), fee: text(json.fee),
    pathway: text(json.pathway), workload_hours: text(json.workload_hours),
    window_from: text(span.from), window_until: text(span.until), valid_months: text(json.valid_months),
    public_grades: json.public_grades ? 'true' : 'false',
    requirements: nodeFromApi({ ...(json.requirements || { children: [] }), type: 'group' }),
  };
}

function integerOrText(value) {
  const trimmed = text(value).trim();
  if (trimmed === '') return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

function numberOrText(value) {
  const trimmed = text(value).trim();
  if (trimmed === '') return null;
  const number = Number(trimmed);
  return Number.isFinite(number) && /^\d+(\.\d+)?$/.test(trimmed) ? number : trimmed;
}

function nodeToApi(node, isRoot = false) {
  if (node.type === 'group') {
    const out = { type: 'group', title: optional(node.title), min_count: integerOrText(node.min_count),
      min_credits: optional(node.min_credits), children: node.children.map((child) => nodeToApi(child)) };
    if (isRoot) delete out.type;
    return out;
  }
  if (node.type === 'course') {
    return { type: 'course', key: node.key.trim(), title: optional(node.title), credits: optional(node.credits),
      hours: optional(node.hours), runs: node.runs || 'any', min_grade: numberOrText(node.min_grade), mode: optional(node.mode) };
  }
  if (node.type === 'program') {
    return { type: 'program', ref: node.ref.trim(), title: optional(node.title), credits: optional(node.credits) };
  }
  return { type: 'external', id: node.id.trim(), title: optional(node.title), credits: optional(node.credits),
    badge_template: optional(node.badge_template) };
}

/** The API's JSON form of the editor model (absent members as null). */
export function toApi(def) {
  const issuer = def.issuer.name.trim() || def.issuer.url.trim() || def.issuer.country.trim()
    ? { name: def.issuer.name.trim(), url: def.issuer.url.trim(), country: def.issuer.country.trim() } : null;
  const level = def.level.framework.trim() || def.level.value.trim()
    ? { framework: def.level.framework.trim(), value: def.level.value.trim() } : null;
  const span = def.window_from || def.window_until
    ? { from: def.window_from || null, until: def.window_until || null } : null;
  return {
    id: def.id.trim(), org: def.org, lang: def.lang || 'en', achievement_type: def.achievement_type,
    completion: def.completion, credits: optional(def.credits), title: def.title.trim(),
    description: optional(def.description), issuer,
    audiences: def.audiences.map((item) => item.trim()), outcomes: def.outcomes.map((item) => item.trim()),
    field_of_study: optional(def.field_of_study), level, assessment: optional(def.assessment),
    participation: optional(def.participation), quality_assurance: optional(def.quality_assurance),
    duration: optional(def.duration), fee: optional(def.fee), pathway: optional(def.pathway),
    workload_hours: optional(def.workload_hours), completion_window: span,
    valid_months: integerOrText(def.valid_months), public_grades: def.public_grades === 'true',
    requirements: nodeToApi(def.requirements, true),
  };
}

const TOP_LEVEL = {
  completion_window: { from: 'window_from', until: 'window_until' },
};

/**
 * The editor field of an API error path: a JSON Pointer (/requirements/children/0/min_count),
 * or a dotted path. Unknown paths come back unchanged (listed in the summary, not at a field).
 */
export function fieldForPath(path) {
  if (path === null || path === undefined || path === '') return '';
  const parts = String(path).replace(/^\//, '').split(/[/.]/).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] === 'requirements') {
    const indexes = [];
    let i = 1;
    while (parts[i] === 'children' && /^\d+$/.test(parts[i + 1] || '')) {
      indexes.push(parts[i + 1]);
      i += 2;
    }
    const attribute = parts.slice(i).join('.');
    const node = `requirements:${indexes.join('.')}`;
    return attribute ? `${node}/${attribute}` : node;
  }
  if (TOP_LEVEL[parts[0]] && parts[1]) return TOP_LEVEL[parts[0]][parts[1]] || parts[0];
  if (parts[0] === 'completion_window') return 'window_from';
  return parts.join('.');
}
