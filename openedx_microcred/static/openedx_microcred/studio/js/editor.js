// The programme editor page: every field of the definition contract (DESIGN §3), the requirement
// tree, live validation (the browser's checks at once, the server's validate endpoint after a
// pause), save as draft, preview, publish, history, XML import/export, retire.
import { h, mount, announce } from './dom.js';
import { field, showIssues, focusField } from './fields.js';
import { gettext, ngettext, interpolate, config, formatNumber, formatDate } from './i18n.js';
import { ACHIEVEMENT_TYPES, emptyProgramme, checkProgramme, minimumCredits, courseHours, walk } from './model.js';
import { fromApi, toApi, fieldForPath } from './convert.js';
import { TreeEditor } from './tree.js';
import { api } from './programmes.js';
import { ApiError } from './http.js';
import { openDialog } from './dialog.js';
import { renderPreview, renderDiff, statusBadge, downloadText } from './widgets.js';

const settings = config();
const app = document.getElementById('app');
const VALIDATE_DELAY_MS = 600;

const state = {
  id: settings.programme || null,
  def: emptyProgramme(settings.orgs && settings.orgs.length === 1 ? settings.orgs[0] : ''),
  meta: null,
  etag: null,
  dirty: false,
  editSeq: 0,
  clientIssues: [],
  serverIssues: [],
  courses: new Map(),
  timer: null,
  touched: new Set(),
  attempted: false,
};

// --- page ----------------------------------------------------------------------------------

async function start() {
  if (state.id) {
    try {
      await load();
    } catch (error) {
      mount(app, errorBox(error));
      return;
    }
  }
  render();
  pollPublish();
  window.addEventListener('beforeunload', (event) => {
    if (state.dirty) { event.preventDefault(); event.returnValue = ''; }
  });
}

async function load() {
  const [meta, definition] = await Promise.all([api.get(state.id), api.getDefinition(state.id)]);
  state.meta = meta;
  state.def = fromApi(definition.data.definition);
  state.version = definition.data.version;
  state.versionStatus = definition.data.status;
  state.etag = definition.etag || `"${definition.data.revision}"`;
  state.dirty = false;
  if (meta.published_version && !state.job) {
    const jobs = await api.publishJobs(state.id).catch(() => []);
    state.job = jobs[0] || null;
  }
}

function render() {
  const def = state.def;
  const title = state.id ? (def.title || state.id) : gettext('New programme');
  // the server rendered the page before the programme had a title (or an id)
  const crumb = document.getElementById('crumb-current');
  if (crumb) crumb.textContent = title;
  document.title = document.title.replace(/^[^|]*\|/, `${title} |`);
  const form = h('form', { class: 'editor__main', novalidate: true, onsubmit: (event) => { event.preventDefault(); save(); } }, h('fieldset', { disabled: !canEdit() || null },
    section('basics', gettext('Programme'), gettext('What the programme is called and who issues it. The id and the organisation cannot change once the programme is saved.'), basicsFields()),
    section('description', gettext('Description for learners and employers'), gettext('Shown on the programme page and in the credential.'), descriptionFields(), { collapsed: true }),
    section('issuer', gettext('Issuer'), gettext('The awarding body named in the credential.'), issuerFields(), { collapsed: true }),
    section('framework', gettext('Recognition and framework information'), gettext('The elements the EU Council Recommendation (Annex I), the UK QAA characteristics and the Australian National Microcredentials Framework ask for. All optional.'), frameworkFields(), { collapsed: true }),
    section('completion', gettext('Completion, credits and validity'), gettext('How completion is decided, how many credits the programme carries and how long its credential stays valid.'), completionFields()),
    h('section', { class: 'card', id: 'requirements-card', 'aria-labelledby': 'section-requirements' },
      h('h2', { id: 'section-requirements' }, gettext('Requirements')),
      h('p', { class: 'card__hint' }, gettext('Learners complete the programme when they meet every requirement at the top level. Use a group for each module; set "At least" on a group of electives.')),
      h('div', { id: 'tree' })),
    h('button', { type: 'submit', hidden: true, tabindex: '-1' }, gettext('Save draft'))));

  mount(app,
    canEdit() ? null : h('p', { class: 'alert alert--info' }, gettext('You can read this programme but not change it: your role in its organisation is viewer.')),
    h('div', { class: 'page-head' },
      h('div', {},
        h('p', { class: 'page-head__kicker' }, state.meta ? state.meta.org : gettext('Micro-credentials')),
        h('h1', { id: 'page-title', class: 'wrap-anywhere' }, title))),
    h('div', { class: 'editor' }, form, h('aside', { class: 'editor__side', 'aria-label': gettext('Programme status and actions') }, statusCard(), issuesCard())));

  state.tree = new TreeEditor({
    container: document.getElementById('tree'),
    definition: () => state.def,
    onChange: () => changed(),
    searchCourses: searchCourses,
  });
  state.tree.render();
  check();
}

function canEdit() {
  return settings.role === 'author' && !(state.meta && state.meta.status === 'retired');
}

function section(key, heading, hint, fields, { collapsed = false } = {}) {
  if (!collapsed) {
    return h('section', { class: 'card', 'aria-labelledby': `section-${key}` },
      h('h2', { id: `section-${key}` }, heading), h('p', { class: 'card__hint' }, hint),
      h('div', { class: 'grid' }, fields));
  }
  // optional information: folded away until the author opens it (or a problem is in it)
  return h('details', { class: 'card section', id: `section-${key}` },
    h('summary', {}, h('h2', {}, heading), h('span', { class: 'card__hint' }, hint)),
    h('div', { class: 'grid' }, fields));
}

// --- fields --------------------------------------------------------------------------------

function bind(path, label, options = {}) {
  const parts = path.split('.');
  const holder = () => parts.slice(0, -1).reduce((object, key) => object[key], state.def);
  const last = parts[parts.length - 1];
  return field({
    name: path, label, get: () => holder()[last], set: (value) => { holder()[last] = value; },
    onInput: (name) => { changed(name); if (name === 'title') updateTitle(); }, ...options,
  });
}

function updateTitle() {
  const heading = document.getElementById('page-title');
  if (heading && state.id) heading.textContent = state.def.title || state.id;
  const crumb = document.getElementById('crumb-current');
  if (crumb && state.id) crumb.textContent = state.def.title || state.id;
}

function basicsFields() {
  const created = Boolean(state.id);
  const orgs = settings.orgs || [];
  const orgOptions = [['', gettext('Choose an organisation')], ...orgs.map((org) => [org, org])];
  if (state.def.org && !orgs.includes(state.def.org)) orgOptions.push([state.def.org, state.def.org]);
  const languages = [['en', 'English'], ['zh-Hans', '简体中文']];
  if (state.def.lang && !languages.some(([code]) => code === state.def.lang)) languages.push([state.def.lang, state.def.lang]);
  return [
    bind('title', gettext('Title'), { required: true, wide: true, hint: gettext('As learners will see it on their credential.') }),
    bind('id', gettext('Programme id'), { required: true, attrs: { autocomplete: 'off', spellcheck: 'false', readonly: created || null, class: 'mono' },
      hint: created ? gettext('Fixed: credentials point at it.') : gettext('Letters, digits, "-" and "_", e.g. ecnu-digital-trade.') }),
    bind('org', gettext('Organisation'), { required: true, control: 'select', options: orgOptions, attrs: { disabled: created || null },
      hint: created ? gettext('Fixed: credentials are signed by this organisation.') : '' }),
    bind('lang', gettext('Language of the texts'), { control: 'select', options: languages }),
    bind('achievement_type', gettext('Achievement type'), { control: 'select', options: ACHIEVEMENT_TYPES.map((type) => [type, type]),
      hint: gettext('Open Badges 3.0 type; MicroCredential for a micro-programme.') }),
  ];
}

function descriptionFields() {
  return [
    bind('description', gettext('Description'), { control: 'textarea', wide: true, hint: gettext('What a holder of this credential can do.') }),
    listEditor('outcomes', gettext('Learning outcomes'), gettext('Add a learning outcome'), gettext('Learning outcome %(number)s')),
    listEditor('audiences', gettext('Intended audience'), gettext('Add an audience'), gettext('Audience %(number)s')),
    bind('field_of_study', gettext('Field of study'), { wide: true }),
  ];
}

function issuerFields() {
  return [
    bind('issuer.name', gettext('Issuer name'), { wide: true }),
    bind('issuer.url', gettext('Issuer web address'), { type: 'url', attrs: { inputmode: 'url', placeholder: 'https://' } }),
    bind('issuer.country', gettext('Country code'), { attrs: { maxlength: 2, autocomplete: 'off', class: 'mono' }, hint: gettext('ISO 3166, e.g. CN.') }),
  ];
}

function frameworkFields() {
  return [
    bind('level.framework', gettext('Level framework'), { hint: gettext('e.g. EQF, AQF, FHEQ, CQF.') }),
    bind('level.value', gettext('Level'), { hint: gettext('e.g. 6.') }),
    bind('participation', gettext('Form of participation'), { control: 'select', options: [['', gettext('Not stated')], ['online', gettext('Online')], ['onsite', gettext('On site')], ['blended', gettext('Blended')]] }),
    bind('workload_hours', gettext('Workload (hours)'), { attrs: { inputmode: 'decimal', autocomplete: 'off' }, hint: workloadHint() }),
    bind('assessment', gettext('Type of assessment'), { control: 'textarea', wide: true }),
    bind('quality_assurance', gettext('Quality assurance'), { control: 'textarea', wide: true }),
    bind('duration', gettext('Duration'), { hint: gettext('e.g. 1 semester.') }),
    bind('fee', gettext('Fee'), {}),
    bind('pathway', gettext('Stackability and pathways'), { control: 'textarea', wide: true, hint: gettext('What this credential counts towards.') }),
  ];
}

function workloadHint() {
  const hours = courseHours(state.def.requirements);
  return hours === '' ? gettext('Empty: the sum of the course hours.')
    : interpolate(gettext('Empty: the sum of the course hours (%(hours)s).'), { hours: formatNumber(hours) });
}

function completionFields() {
  return [
    bind('completion', gettext('Completion basis'), { control: 'select', options: [['passing', gettext('A passing grade in each course')], ['certificate', gettext('An earned certificate in each course')]] }),
    bind('credits', gettext('Programme credits'), { attrs: { inputmode: 'decimal', autocomplete: 'off' }, hint: creditsHint() }),
    bind('window_from', gettext('Completions count from'), { type: 'date', hint: gettext('Optional: earlier completions do not count.') }),
    bind('window_until', gettext('Completions count until'), { type: 'date', hint: gettext('Optional, inclusive.') }),
    bind('valid_months', gettext('Credential valid for (months)'), { attrs: { inputmode: 'numeric', autocomplete: 'off' }, hint: gettext('Empty: it never expires.') }),
    bind('public_grades', gettext('Course grades in public documents'), { control: 'select', options: [['false', gettext('No: grades stay private')], ['true', gettext('Yes: show each course grade')]],
      hint: gettext('Whether the signed credential and transcript show learners\' course grades.') }),
  ];
}

function creditsHint() {
  const least = state.def.requirements.children.length ? minimumCredits(state.def.requirements) : null;
  return least === null ? gettext('Empty: the least total that completes the requirements.')
    : interpolate(gettext('Empty: the least total that completes the requirements (%(credits)s).'), { credits: formatNumber(least) });
}

function refreshHints() {
  for (const [name, text] of [['credits', creditsHint()], ['workload_hours', workloadHint()]]) {
    const hint = app.querySelector(`[data-field="${name}"] .hint`);
    if (hint) hint.textContent = text;
  }
}

/** A repeatable text field (outcomes, audiences): add, edit, remove rows. */
function listEditor(name, label, addLabel, itemLabel) {
  const wrapper = h('fieldset', { class: 'field field--wide' }, h('legend', { class: 'label' }, label));
  const rows = h('div', {});
  const draw = (focusIndex = null) => {
    mount(rows, state.def[name].map((value, index) => {
      const row = field({
        name: `${name}.${index}`, label: interpolate(itemLabel, { number: index + 1 }), control: 'textarea',
        get: () => state.def[name][index], set: (text) => { state.def[name][index] = text; }, onInput: () => changed(),
        attrs: { rows: 2 },
      });
      row.classList.add('list-editor__item');
      row.append(h('button', { type: 'button', class: 'btn btn--link btn--small', onclick: () => {
        state.def[name].splice(index, 1);
        draw(Math.min(index, state.def[name].length - 1));
        changed();
      } }, interpolate(gettext('Remove %(item)s'), { item: interpolate(itemLabel, { number: index + 1 }) })));
      return row;
    }));
    if (focusIndex !== null && focusIndex >= 0) {
      const target = rows.querySelectorAll('textarea')[focusIndex];
      if (target) target.focus();
    } else if (focusIndex !== null) {
      addButton.focus();
    }
    showAllIssues();
  };
  const addButton = h('button', { type: 'button', class: 'btn btn--outline btn--small', onclick: () => {
    state.def[name].push('');
    draw(state.def[name].length - 1);
    changed();
  } }, `+ ${addLabel}`);
  draw();
  wrapper.append(rows, addButton);
  return wrapper;
}

// --- status and actions --------------------------------------------------------------------

function statusCard() {
  const meta = state.meta;
  const card = h('section', { class: 'card', id: 'status-card', 'aria-labelledby': 'status-heading' });
  const status = meta ? meta.status : 'new';
  const numbers = meta ? h('dl', { class: 'summary-numbers' },
    h('div', {}, h('dt', {}, gettext('Published version')), h('dd', {}, meta.published_version ?? '—')),
    h('div', {}, h('dt', {}, gettext('Draft version')), h('dd', {}, meta.draft_version ?? '—')),
    h('div', {}, h('dt', {}, gettext('Learners')), h('dd', {}, formatNumber(meta.learners ?? 0))),
    h('div', {}, h('dt', {}, gettext('Credentials')), h('dd', {}, formatNumber(meta.credentials ?? 0)))) : null;
  const button = (name, label, onClick, kind = 'outline', extra = {}) => h('button', {
    type: 'button', class: `btn btn--${kind}`, 'data-action': name, onclick: onClick, ...extra,
  }, label);
  const edit = canEdit();
  const actions = [
    edit ? button('save', gettext('Save draft'), () => save(), 'primary') : null,
    state.id ? button('preview', gettext('Preview'), () => preview()) : null,
    edit && state.id && meta.draft_version ? button('publish', gettext('Publish…'), () => publish()) : null,
    state.id ? button('history', gettext('Version history'), () => history()) : null,
    state.id && meta.published_version ? button('learners', gettext('Learners'), () => learners()) : null,
    state.id ? button('export', gettext('Export XML'), () => exportXml()) : null,
    edit ? button('import', gettext('Import XML…'), () => importXml()) : null,
    edit && state.id && meta.status === 'published' ? button('retire', gettext('Retire…'), () => retire(), 'danger') : null,
    edit && state.id && !meta.published_version ? button('delete', gettext('Delete draft…'), () => removeDraft(), 'danger') : null,
  ];
  mount(card,
    h('h2', { id: 'status-heading' }, gettext('Status')),
    h('div', { class: 'status-line' }, statusBadge(status)),
    numbers,
    h('div', { class: 'actions' }, actions),
    h('p', { class: 'savestate', id: 'savestate', role: 'status' }, saveStateText()),
    state.job ? publishProgress(state.job) : null);
  return card;
}

function saveStateText() {
  if (!state.id) return gettext('Not saved yet.');
  if (state.dirty) return gettext('Unsaved changes.');
  return state.meta && state.meta.draft_version ? gettext('All changes saved as a draft.') : gettext('No unsaved changes.');
}

function refreshStatus() {
  const old = document.getElementById('status-card');
  if (old) old.replaceWith(statusCard());
}

function publishProgress(job) {
  const running = job.status === 'pending' || job.status === 'running';
  const values = { version: job.version, done: formatNumber(job.learners_done), total: formatNumber(job.learners_total), issued: formatNumber(job.issued) };
  let text;
  if (job.status === 'failed') text = interpolate(gettext('Publishing version %(version)s failed: %(error)s'), { ...values, error: job.error });
  else if (running) text = interpolate(gettext('Version %(version)s: evaluating learners, %(done)s of %(total)s.'), values);
  else text = interpolate(ngettext('Version %(version)s published: %(done)s learners evaluated, %(issued)s credential issued.', 'Version %(version)s published: %(done)s learners evaluated, %(issued)s credentials issued.', job.issued), values);
  return h('div', { class: `alert ${job.status === 'failed' ? 'alert--danger' : running ? 'alert--info' : 'alert--success'}`, id: 'publish-progress', role: 'status' },
    text, running ? h('progress', { max: job.learners_total || 1, value: job.learners_done, 'aria-label': gettext('Learners evaluated') }) : null);
}

function issuesCard() {
  return h('section', { class: 'card', 'aria-labelledby': 'issues-heading' },
    h('h2', { id: 'issues-heading' }, gettext('Checks')),
    h('div', { id: 'issues', 'aria-live': 'polite' }));
}

// --- validation ------------------------------------------------------------------------------

// Fields a new programme needs: "missing" is only said once the author has been there or
// tried to save, not on an empty page.
const REQUIRED = ['id', 'org', 'title', 'requirements:'];

function changed(name = null) {
  if (name) state.touched.add(name);
  state.dirty = true;
  state.editSeq += 1;
  const savestate = document.getElementById('savestate');
  if (savestate) savestate.textContent = saveStateText();
  refreshHints();
  check();
}

function check() {
  state.clientIssues = checkProgramme(state.def, { courses: state.courses.size ? state.courses : null })
    .filter((issue) => state.id || state.attempted || !REQUIRED.includes(issue.field) || state.touched.has(issue.field)
      || (issue.field === 'requirements:' && state.def.requirements.children.length));
  showAllIssues();
  window.clearTimeout(state.timer);
  state.timer = window.setTimeout(serverCheck, VALIDATE_DELAY_MS);
}

async function serverCheck() {
  if (!state.id) return; // the validate endpoint checks a saved programme's draft
  const seq = state.editSeq;
  try {
    const result = await api.validate(state.id, toApi(state.def));
    if (seq !== state.editSeq) return; // the author has typed since: a newer check follows
    state.serverIssues = issuesFromResult(result).map(placeByValue);
  } catch (error) {
    if (seq !== state.editSeq) return;
    state.serverIssues = error instanceof ApiError && error.status === 400 ? issuesFromErrors(error.errors, 'error') : [];
  }
  showAllIssues();
}

function issuesFromErrors(errors, level) {
  return (errors || []).map((item) => ({
    field: fieldForPath(item.path), level: item.level || level, message: item.message,
    line: item.line, server: true,
  }));
}

/**
 * A problem of the JSON form that came back with the line of the generated XML instead of a
 * path (an unknown programme ref, a stacking cycle): the author never saw that XML, so place it
 * at the requirement whose key, ref or id the message quotes.
 */
function placeByValue(issue) {
  if (issue.field) return issue;
  const quoted = [...issue.message.matchAll(/'([^']+)'/g)].map((match) => match[1]);
  for (const [path, node] of walk(state.def.requirements)) {
    for (const attribute of ['key', 'ref', 'id']) {
      if (node.type !== 'group' && node[attribute] && quoted.includes(node[attribute].trim())) {
        return { ...issue, field: `requirements:${path}/${attribute}`, line: null };
      }
    }
  }
  return { ...issue, line: null };
}

function issuesFromResult(result) {
  if (!result) return [];
  return [...issuesFromErrors(result.errors, 'error'), ...issuesFromErrors(result.warnings, 'warning')];
}

function allIssues() {
  const seen = new Set();
  const out = [];
  for (const issue of [...state.clientIssues, ...state.serverIssues]) {
    const key = `${issue.field}|${issue.message}`;
    if (seen.has(key)) continue;
    // the browser already explains this field's problem: skip the server's wording of the same
    if (issue.server && state.clientIssues.some((c) => c.field === issue.field && c.level === issue.level)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

function showAllIssues() {
  const issues = allIssues();
  showIssues(app, issues);
  for (const wrapper of app.querySelectorAll('.field--error')) {
    const folded = wrapper.closest('details:not([open])');
    if (folded) folded.open = true;
  }
  const box = document.getElementById('issues');
  if (!box) return;
  const errors = issues.filter((issue) => issue.level === 'error');
  const warnings = issues.filter((issue) => issue.level === 'warning');
  const summary = !issues.length ? h('p', { class: 'alert alert--success' }, gettext('No problems found.'))
    : h('p', {}, [
      errors.length ? interpolate(ngettext('%(count)s error to fix', '%(count)s errors to fix', errors.length), { count: errors.length }) : null,
      errors.length && warnings.length ? ' · ' : null,
      warnings.length ? interpolate(ngettext('%(count)s warning', '%(count)s warnings', warnings.length), { count: warnings.length }) : null,
    ]);
  mount(box, summary, issues.length ? h('ul', { class: 'issues' }, issues.map((issue) => h('li', { class: `issue--${issue.level}` },
    h('span', { class: 'visually-hidden' }, issue.level === 'error' ? gettext('Error:') : gettext('Warning:')), ' ',
    h('button', { type: 'button', onclick: () => focusField(app, issue.field) || focusField(app, issue.field.split('/')[0]) },
      issue.line ? interpolate(gettext('Line %(line)s: %(message)s'), { line: issue.line, message: issue.message }) : issue.message)))) : null);
}

async function searchCourses(query) {
  const courses = await api.courses(query);
  const normalised = courses.map((course) => ({ key: course.course_key, title: course.title || '', org: course.org }));
  for (const course of normalised) state.courses.set(course.key, course);
  return normalised;
}

// --- actions -------------------------------------------------------------------------------

async function save() {
  state.attempted = true;
  state.clientIssues = checkProgramme(state.def);
  showAllIssues();
  const blocking = state.clientIssues.filter((issue) => issue.level === 'error' && ['id', 'org', 'title'].includes(issue.field));
  if (blocking.length) {
    focusField(app, blocking[0].field);
    announce(gettext('Fill in the title, the id and the organisation before saving.'));
    return false;
  }
  const savestate = document.getElementById('savestate');
  if (savestate) savestate.textContent = gettext('Saving…');
  try {
    if (!state.id) {
      const created = await api.create(toApi(state.def));
      state.id = created.data.program_id;
      window.history.replaceState({}, '', `${settings.studio}programmes/${encodeURIComponent(state.id)}/`);
    } else {
      await api.saveDefinition(state.id, toApi(state.def), state.etag);
    }
    const seq = state.editSeq;
    await load();
    state.serverIssues = [];
    if (seq === state.editSeq) render();
    announce(gettext('Draft saved.'));
    return true;
  } catch (error) {
    if (savestate) savestate.textContent = saveStateText();
    saveFailed(error);
    return false;
  }
}

function saveFailed(error) {
  if (error instanceof ApiError && error.status === 400 && error.errors.length) {
    state.serverIssues = issuesFromErrors(error.errors, 'error');
    showAllIssues();
    const first = state.serverIssues[0];
    if (first && !focusField(app, first.field)) document.getElementById('issues').focus();
    announce(interpolate(gettext('Not saved: %(message)s'), { message: first ? first.message : error.detail }));
  } else if (error instanceof ApiError && (error.status === 409 || error.status === 412 || error.status === 428)) {
    openDialog({
      title: gettext('Someone else changed this draft'),
      body: h('p', {}, gettext('Another author saved this draft after you opened it. Load their version to see it (your unsaved changes are lost), or copy your changes first.')),
      actions: [{ label: gettext('Load the latest draft'), kind: 'primary', onClick: async (close) => { await load(); render(); close(); } }],
    });
  } else {
    openDialog({ title: gettext('Not saved'), body: errorBox(error) });
  }
}

async function ensureSaved() {
  if (!state.dirty) return true;
  return save();
}

async function preview() {
  if (!(await ensureSaved())) return;
  try {
    const data = await api.preview(state.id);
    await openDialog({ title: gettext('Preview'), body: renderPreview(data), wide: true });
  } catch (error) {
    openDialog({ title: gettext('Preview'), body: errorBox(error) });
  }
}

async function publish() {
  if (!(await ensureSaved())) return;
  const errors = allIssues().filter((issue) => issue.level === 'error');
  if (errors.length) {
    openDialog({ title: gettext('Fix the errors first'), body: h('p', {}, interpolate(ngettext('%(count)s error must be fixed before publishing.', '%(count)s errors must be fixed before publishing.', errors.length), { count: errors.length })) });
    return;
  }
  let summary;
  try {
    summary = await api.publishSummary(state.id);
  } catch (error) {
    openDialog({ title: gettext('Publish'), body: error.status === 404 ? h('p', {}, gettext('There are no draft changes to publish.')) : errorBox(error) });
    return;
  }
  const body = h('div', {}, publishSummary(summary));
  await openDialog({
    title: interpolate(gettext('Publish “%(title)s”'), { title: state.def.title }),
    body,
    wide: true,
    actions: [{
      label: gettext('Publish'), kind: 'primary', name: 'confirm-publish',
      onClick: async (close) => {
        try {
          const result = await api.publish(state.id, state.etag);
          state.job = result.data;
          close(true);
          await load();
          render();
          announce(gettext('Published. Learners who already completed it are being evaluated.'));
          pollPublish();
        } catch (error) {
          body.prepend(errorBox(error));
        }
      },
    }],
  });
}

function publishSummary(summary) {
  const version = summary.diff.to_version;
  return [
    h('p', {}, state.meta.published_version
      ? interpolate(gettext('This publishes version %(version)s in place of version %(previous)s. Published versions never change; learners who earned an earlier version keep their credential.'), { version, previous: state.meta.published_version })
      : interpolate(gettext('This publishes version %(version)s. Published versions never change: later edits make a new draft.'), { version })),
    h('p', { class: 'alert alert--info', id: 'publish-newly-complete' },
      interpolate(ngettext('%(learners)s learner has completions in its courses; ', '%(learners)s learners have completions in its courses; ', summary.learners), { learners: formatNumber(summary.learners) }),
      h('strong', {}, interpolate(ngettext('%(count)s will newly complete it and receive the credential.', '%(count)s will newly complete it and receive the credential.', summary.newly_complete), { count: formatNumber(summary.newly_complete) }))),
    h('h3', {}, gettext('What changes')),
    renderDiff(summary.diff),
  ];
}

async function pollPublish() {
  for (let i = 0; i < 600 && state.job && (state.job.status === 'pending' || state.job.status === 'running'); i += 1) {
    await new Promise((resolve) => { window.setTimeout(resolve, 1000); });
    try {
      state.job = await api.publishJob(state.id, state.job.id);
    } catch { return; }
    if (state.job.status === 'done') state.meta = await api.get(state.id).catch(() => state.meta);
    refreshStatus();
  }
}

async function history() {
  let versions;
  try {
    versions = await api.versions(state.id);
  } catch (error) {
    openDialog({ title: gettext('Version history'), body: errorBox(error) });
    return;
  }
  const diffBox = h('div', { id: 'diff-box', 'aria-live': 'polite' });
  const showDiff = async (from, to) => {
    try {
      mount(diffBox, h('h3', {}, interpolate(gettext('Changes from version %(from)s to %(to)s'), { from, to })), renderDiff(await api.diff(state.id, from, to)));
    } catch (error) {
      mount(diffBox, errorBox(error));
    }
  };
  const list = h('ul', { class: 'versions' }, versions.map((version, index) => {
    const previous = versions[index + 1];
    return h('li', {},
      h('strong', {}, interpolate(gettext('Version %(number)s'), { number: version.number })),
      statusBadge(version.status),
      h('span', {}, formatDate(version.published_at || version.created)),
      version.published_by || version.created_by ? h('span', {}, interpolate(gettext('by %(user)s'), { user: version.published_by || version.created_by })) : null,
      version.title ? h('span', {}, version.title) : null,
      previous ? h('button', { type: 'button', class: 'btn btn--link btn--small', onclick: () => showDiff(previous.number, version.number) },
        interpolate(gettext('Compare with version %(number)s'), { number: previous.number })) : null);
  }));
  await openDialog({ title: gettext('Version history'), body: [versions.length ? list : h('p', {}, gettext('No versions yet.')), diffBox], wide: true });
}

async function learners(page = 1) {
  const body = h('div', { id: 'learners-box' });
  const draw = async (number) => {
    let data;
    try {
      data = await api.learners(state.id, number);
    } catch (error) {
      mount(body, errorBox(error));
      return;
    }
    const rows = data.results || [];
    const pages = data.num_pages || 1;
    mount(body,
      h('p', {}, interpolate(gettext('%(count)s learners have results in this programme\'s courses.'), { count: formatNumber(data.count ?? rows.length) }),
        ' ', h('a', { href: api.learnersCsvUrl(state.id), download: `${state.id}-learners.csv` }, gettext('Download all as CSV'))),
      rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
        h('caption', { class: 'visually-hidden' }, gettext('Learners')),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, gettext('Learner')), h('th', { scope: 'col', class: 'num' }, gettext('Requirements met')),
          h('th', { scope: 'col', class: 'num' }, gettext('Credits')), h('th', { scope: 'col' }, gettext('Credential')),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, gettext('Actions'))))),
        h('tbody', {}, rows.map((row) => h('tr', { dataset: { learner: row.username } },
          h('td', {}, row.name || row.username, row.name ? h('span', { class: 'programme-id mono' }, row.username) : null),
          h('td', { class: 'num' }, `${row.requirements_met} / ${row.requirements}`),
          h('td', { class: 'num' }, formatNumber(row.credits_earned)),
          h('td', {}, row.credential_uuid ? credentialStatus(row.credential_status) : (row.complete ? gettext('Complete') : gettext('In progress'))),
          h('td', {}, row.credential_uuid && row.credential_status === 'awarded' && canEdit()
            ? h('button', { type: 'button', class: 'btn btn--danger btn--small', 'data-action': 'revoke',
              onclick: () => revoke(row, () => draw(number)) }, gettext('Revoke…')) : null)))))) : null,
      pages > 1 ? h('nav', { class: 'pager', 'aria-label': gettext('Pages of learners') },
        h('button', { type: 'button', class: 'btn btn--outline btn--small', disabled: number <= 1 || null, onclick: () => draw(number - 1) }, gettext('Previous')),
        h('span', {}, interpolate(gettext('Page %(page)s of %(pages)s'), { page: number, pages })),
        h('button', { type: 'button', class: 'btn btn--outline btn--small', disabled: number >= pages || null, onclick: () => draw(number + 1) }, gettext('Next'))) : null);
  };
  draw(page);
  await openDialog({ title: gettext('Learners'), body, wide: true });
}

function credentialStatus(status) {
  const labels = { awarded: gettext('Awarded'), revoked: gettext('Revoked'), expired: gettext('Expired') };
  return h('span', { class: `badge badge--${status === 'awarded' ? 'published' : 'retired'}` }, labels[status] || status);
}

async function revoke(row, refresh) {
  const reasonId = 'revoke-reason';
  const reason = h('textarea', { id: reasonId, rows: 3, maxlength: 255, required: true });
  const problems = h('div', { 'aria-live': 'polite' });
  await openDialog({
    title: interpolate(gettext('Revoke the credential of %(learner)s?'), { learner: row.name || row.username }),
    body: [
      h('p', {}, gettext('The credential stops verifying at once, everywhere: its status list says it is revoked and every registry that received it is told. This cannot be undone.')),
      h('div', { class: 'field' }, h('label', { for: reasonId, class: 'required' }, gettext('Reason')), reason,
        h('span', { class: 'hint' }, gettext('Sent to the registries; the learner may see it.'))),
      problems,
    ],
    actions: [{ label: gettext('Revoke'), kind: 'danger', name: 'confirm-revoke', onClick: async (close) => {
      if (!reason.value.trim()) {
        mount(problems, h('p', { class: 'field__msg field__msg--error' }, gettext('Give a reason.')));
        reason.focus();
        return;
      }
      try {
        await api.revoke(row.credential_uuid, reason.value.trim());
        close(true);
        announce(gettext('Credential revoked.'));
        refresh();
      } catch (error) {
        mount(problems, errorBox(error));
      }
    } }],
  });
}

async function exportXml() {
  try {
    if (state.dirty && !(await save())) return;
    const xml = await api.exportXml(state.id);
    downloadText(`${state.id}.xml`, xml, 'application/xml');
    announce(gettext('Exported.'));
  } catch (error) {
    openDialog({ title: gettext('Export XML'), body: errorBox(error) });
  }
}

async function importXml() {
  const fileId = 'import-file';
  const textId = 'import-text';
  const textarea = h('textarea', { id: textId, rows: 12, class: 'mono', spellcheck: 'false' });
  const fileInput = h('input', { id: fileId, type: 'file', accept: '.xml,application/xml,text/xml', onchange: async () => {
    const file = fileInput.files[0];
    if (file) textarea.value = await file.text();
  } });
  const errors = h('div', { 'aria-live': 'polite' });
  await openDialog({
    title: gettext('Import XML'),
    body: [
      h('p', {}, state.id ? gettext('The XML replaces this programme\'s draft. Nothing is published until you publish it.')
        : gettext('Creates a new programme as a draft. Nothing is published until you publish it.')),
      h('div', { class: 'field' }, h('label', { for: fileId }, gettext('XML file')), fileInput),
      h('div', { class: 'field' }, h('label', { for: textId }, gettext('Or paste the XML')), textarea),
      errors,
    ],
    actions: [{
      label: gettext('Import as draft'), kind: 'primary', name: 'confirm-import',
      onClick: async (close) => {
        try {
          if (state.id) {
            await api.importXml(state.id, textarea.value, state.etag);
          } else {
            const created = await api.createFromXml(textarea.value);
            state.id = created.data.program_id;
            window.history.replaceState({}, '', `${settings.studio}programmes/${encodeURIComponent(state.id)}/`);
          }
          close(true);
          await load();
          render();
          announce(gettext('Imported as a draft.'));
        } catch (error) {
          mount(errors, errorBox(error));
        }
      },
    }],
    wide: true,
  });
}

async function retire() {
  await openDialog({
    title: interpolate(gettext('Retire “%(title)s”?'), { title: state.def.title }),
    body: h('p', {}, gettext('A retired programme issues no new credentials. Credentials already issued stay valid. This cannot be undone.')),
    actions: [{ label: gettext('Retire'), kind: 'danger', name: 'confirm-retire', onClick: async (close) => {
      await api.retire(state.id, state.etag);
      close(true);
      await load();
      render();
      announce(gettext('Retired.'));
    } }],
  });
}

async function removeDraft() {
  await openDialog({
    title: interpolate(gettext('Delete “%(title)s”?'), { title: state.def.title || state.id }),
    body: h('p', {}, gettext('The draft has never been published: deleting it removes it for good.')),
    actions: [{ label: gettext('Delete'), kind: 'danger', name: 'confirm-delete', onClick: async (close) => {
      await api.remove(state.id, state.etag);
      state.dirty = false;
      close(true);
      window.location.assign(settings.studio);
    } }],
  });
}

function errorBox(error) {
  const list = error instanceof ApiError && error.errors.length
    ? h('ul', {}, error.errors.map((item) => h('li', {}, item.line ? interpolate(gettext('Line %(line)s: %(message)s'), { line: item.line, message: item.message }) : item.message)))
    : null;
  let message = error instanceof ApiError ? error.detail : gettext('Something went wrong. Try again.');
  if (error instanceof ApiError && error.status === 403) message = gettext('You do not have permission to do this.');
  if (error instanceof ApiError && error.status === 404) message = gettext('This programme does not exist, or you cannot see it.');
  return h('div', { class: 'alert alert--danger', role: 'alert' }, message, list);
}

start();
