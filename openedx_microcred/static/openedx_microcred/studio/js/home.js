// The programme list: the programmes of the orgs the user may author or view (the API applies
// the permissions), with status, version, learners and credentials, filtered by org and status.
import { h, mount, uid } from './dom.js';
import { gettext, interpolate, config, formatNumber } from './i18n.js';
import { api } from './programmes.js';
import { statusBadge } from './widgets.js';

const settings = config();
const app = document.getElementById('app');
const filters = { org: '', status: '' };
const knownOrgs = new Set(settings.orgs || []); // orgs to filter by: authored, and seen in the list

function actions() {
  const box = document.getElementById('home-actions');
  if (!box || !(settings.orgs || []).length) return;
  mount(box, h('a', { class: 'btn btn--primary', href: `${settings.studio}programmes/new/`, id: 'new-programme' }, `+ ${gettext('New programme')}`));
}

function filterBar() {
  const orgId = uid('filter');
  const statusId = uid('filter');
  const select = (id, label, key, options) => h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, onchange: (event) => { filters[key] = event.target.value; load(); } },
      options.map(([value, text]) => h('option', { value, selected: filters[key] === value }, text))));
  return h('div', { class: 'filters', role: 'search', 'aria-label': gettext('Filter programmes') },
    select(orgId, gettext('Organisation'), 'org', [['', gettext('All organisations')], ...[...knownOrgs].sort().map((org) => [org, org])]),
    select(statusId, gettext('Status'), 'status', [['', gettext('Any status')], ['draft', gettext('Draft')], ['published', gettext('Published')], ['retired', gettext('Retired')]]));
}

function table(programmes) {
  if (!programmes.length) {
    const canCreate = (settings.orgs || []).length > 0;
    return h('div', { class: 'card empty', id: 'no-programmes' },
      h('h2', {}, filters.org || filters.status ? gettext('No programme matches these filters')
        : canCreate ? gettext('No programmes yet') : gettext('No programmes to show')),
      h('p', {}, canCreate ? gettext('Create a programme from the courses of your organisation, or import an XML definition.')
        : gettext('You do not have a course-team role in an organisation that authors programmes. Ask an administrator of your organisation for one.')),
      canCreate ? h('a', { class: 'btn btn--primary', href: `${settings.studio}programmes/new/` }, gettext('Create your first programme')) : null);
  }
  const label = {
    programme: gettext('Programme'), org: gettext('Organisation'), status: gettext('Status'), version: gettext('Version'),
    learners: gettext('Learners'), credentials: gettext('Credentials'),
  };
  return h('div', { class: 'card table-wrap', style: 'padding:0' },
    h('table', { class: 'data', id: 'programmes' },
      h('caption', { class: 'visually-hidden' }, gettext('Programmes')),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, label.programme), h('th', { scope: 'col' }, label.org), h('th', { scope: 'col' }, label.status),
        h('th', { scope: 'col', class: 'num' }, label.version), h('th', { scope: 'col', class: 'num' }, label.learners),
        h('th', { scope: 'col', class: 'num' }, label.credentials))),
      h('tbody', {}, programmes.map((programme) => {
        const id = programme.program_id;
        return h('tr', { dataset: { programme: id } },
          h('td', { 'data-label': label.programme },
            h('a', { class: 'programme-title', href: `${settings.studio}programmes/${encodeURIComponent(id)}/` }, programme.title || id),
            h('span', { class: 'programme-id mono' }, id)),
          h('td', { 'data-label': label.org }, programme.org),
          h('td', { 'data-label': label.status }, statusBadge(programme.status),
            programme.draft_version && programme.status !== 'draft' ? [' ', h('span', { class: 'badge badge--draft' }, gettext('Draft changes'))] : null),
          h('td', { class: 'num', 'data-label': label.version }, programme.published_version ?? '—'),
          h('td', { class: 'num', 'data-label': label.learners }, formatNumber(programme.learners ?? 0)),
          h('td', { class: 'num', 'data-label': label.credentials }, formatNumber(programme.credentials ?? 0)));
      }))));
}

const filterBox = h('div', {});
const results = h('div', {});

async function load() {
  try {
    const programmes = await api.list(filters);
    for (const programme of programmes) knownOrgs.add(programme.org);
    // the filter bar is drawn once, so the select keeps keyboard focus while results change
    if (!filterBox.childElementCount && programmes.length) mount(filterBox, filterBar());
    mount(results, table(programmes),
      h('p', { class: 'visually-hidden', role: 'status' }, interpolate(gettext('%(count)s programmes shown.'), { count: programmes.length })));
  } catch (error) {
    mount(results, h('div', { class: 'alert alert--danger', role: 'alert' }, error.status === 403
      ? gettext('You do not have permission to see programmes.') : gettext('The programmes could not be loaded. Try again.')));
  }
}

mount(app, filterBox, results);
actions();
load();
