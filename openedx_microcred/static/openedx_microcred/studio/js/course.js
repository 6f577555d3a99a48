// The programmes that include one course (Studio links here from the course).
import { h, mount } from './dom.js';
import { gettext, config, formatNumber } from './i18n.js';
import { api } from './programmes.js';
import { statusBadge } from './widgets.js';

const settings = config();
const app = document.getElementById('app');

async function load() {
  try {
    const programmes = await api.courseProgrammes(settings.course);
    if (!programmes.length) {
      mount(app, h('div', { class: 'card empty', id: 'no-programmes' },
        h('h2', {}, gettext('This course is in no programme yet')),
        h('p', {}, gettext('Add it to a programme in the programme editor: learners who complete it then progress towards that credential.')),
        (settings.orgs || []).length ? h('a', { class: 'btn btn--primary', href: `${settings.studio}programmes/new/` }, gettext('New programme')) : null));
      return;
    }
    mount(app, h('ul', { class: 'card', id: 'course-programmes', style: 'list-style:none;display:grid;gap:1rem' },
      programmes.map((programme) => {
        const id = programme.program_id;
        return h('li', { dataset: { programme: id } },
          h('h2', {}, h('a', { href: `${settings.studio}programmes/${encodeURIComponent(id)}/` }, programme.title || id)),
          h('p', {}, statusBadge(programme.status), ' ', h('span', { class: 'mono' }, id), ' · ', programme.org,
            ' · ', `${gettext('Learners')}: ${formatNumber(programme.learners ?? 0)}`,
            ' · ', `${gettext('Credentials')}: ${formatNumber(programme.credentials ?? 0)}`));
      })));
  } catch (error) {
    mount(app, h('div', { class: 'alert alert--danger', role: 'alert' }, error.status === 403
      ? gettext('You do not have permission to see the programmes of this course.') : gettext('The programmes could not be loaded. Try again.')));
  }
}

load();
