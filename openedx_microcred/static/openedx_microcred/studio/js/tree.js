// The requirement-tree editor: groups (all of / at least N / at least N credits) nesting to any
// depth, course leaves (with a course picker), programme leaves and external achievements.
// Keyboard-first: every move is a button (up, down, into the group above, out of the group),
// and focus stays on the moved node's same button after the tree re-renders.
import { h, mount, uid, announce } from './dom.js';
import { field } from './fields.js';
import { gettext, interpolate, formatNumber } from './i18n.js';
import { emptyGroup, emptyLeaf, nodeAt, parentPath, childPath, minimumCredits, availableCredits, courseHours } from './model.js';

const KIND = () => ({
  group: gettext('Group'),
  course: gettext('Course'),
  program: gettext('Programme'),
  external: gettext('External achievement'),
});

export class TreeEditor {
  /**
   * `definition()` returns the programme model (its `requirements` is edited in place),
   * `onChange(structural)` is called after every edit, `searchCourses(query)` resolves to
   * [{key, title}] for the picker.
   */
  constructor({ container, definition, onChange, searchCourses }) {
    this.container = container;
    this.definition = definition;
    this.onChange = onChange;
    this.searchCourses = searchCourses;
  }

  get root() { return this.definition().requirements; }

  render(focus = null) {
    const root = this.root;
    mount(this.container,
      h('div', { class: 'field', dataset: { field: 'requirements:' } },
        root.children.length ? null : h('p', { class: 'card__hint' }, gettext('No requirements yet. Add the courses learners must complete, or a group for each module.')),
        h('ul', { class: 'tree', 'aria-label': gettext('Requirements') }, root.children.map((child, i) => this.node(child, childPath('', i)))),
        h('div', { class: 'root-add' }, this.addButtons('')),
        h('div', { class: 'field__msgs', id: uid('msg') })),
      this.totals());
    if (focus) {
      const target = this.container.querySelector(focus);
      if (target) target.focus();
    }
  }

  totals() {
    const least = this.root.children.length ? minimumCredits(this.root) : null;
    const hours = courseHours(this.root);
    const parts = [];
    if (least !== null) parts.push(interpolate(gettext('The requirements can be completed with %(credits)s credits.'), { credits: formatNumber(least) }));
    if (hours !== '') parts.push(interpolate(gettext('Course hours: %(hours)s.'), { hours: formatNumber(hours) }));
    return h('p', { class: 'tree-totals', id: 'tree-totals', 'aria-live': 'polite' }, parts.join(' '));
  }

  refreshTotals() {
    const old = this.container.querySelector('#tree-totals');
    if (old) old.replaceWith(this.totals());
  }

  addButtons(path) {
    const add = (type, label) => h('button', {
      type: 'button', class: 'btn btn--outline btn--small', dataset: { add: type, path },
      onclick: () => this.add(path, type),
    }, `+ ${label}`);
    return [
      add('course', gettext('Course')),
      add('group', gettext('Group')),
      add('program', gettext('Programme')),
      add('external', gettext('External achievement')),
    ];
  }

  node(node, path) {
    const kind = KIND()[node.type];
    const summaryId = uid('node');
    const box = h('div', { class: 'node__box', role: 'group', 'aria-labelledby': summaryId },
      h('div', { class: 'node__head', dataset: { field: `requirements:${path}` } },
        h('span', { class: 'node__kind' }, kind),
        h('span', { class: 'node__summary', id: summaryId }, this.summary(node)),
        h('div', { class: 'node__tools' }, this.tools(node, path)),
        h('div', { class: 'field__msgs', id: uid('msg'), style: 'flex-basis:100%' })),
      h('div', { class: 'node__body' }, this.fields(node, path)));
    if (node.type === 'group') {
      box.append(
        h('ul', { class: 'tree' }, node.children.map((child, i) => this.node(child, childPath(path, i)))),
        h('div', { class: 'node__add', dataset: { field: `requirements:${path}/children` } },
          this.addButtons(path), h('div', { class: 'field__msgs', id: uid('msg'), style: 'flex-basis:100%' })));
    }
    return h('li', { class: `node node--${node.type}`, dataset: { path } }, box);
  }

  summary(node) {
    if (node.type === 'group') {
      const size = node.children.length;
      let rule;
      if (node.min_count !== '' && node.min_credits !== '') {
        rule = interpolate(gettext('at least %(count)s of %(size)s and %(credits)s credits'), { count: node.min_count, size, credits: node.min_credits });
      } else if (node.min_count !== '') {
        rule = interpolate(gettext('at least %(count)s of %(size)s'), { count: node.min_count, size });
      } else if (node.min_credits !== '') {
        rule = interpolate(gettext('at least %(credits)s credits'), { credits: node.min_credits });
      } else {
        rule = interpolate(gettext('all %(size)s required'), { size });
      }
      return [node.title || gettext('Untitled group'), ' ', h('span', { class: 'node__rule' }, `(${rule})`)];
    }
    const name = node.title || node.key || node.ref || node.id || gettext('Not chosen yet');
    const credits = node.credits !== '' ? h('span', { class: 'node__rule' }, ` · ${interpolate(gettext('%(credits)s credits'), { credits: node.credits })}`) : null;
    return [name, credits];
  }

  refreshSummary(path) {
    const li = this.container.querySelector(`li.node[data-path="${CSS.escape(path)}"]`);
    if (!li) return;
    const summary = li.querySelector(':scope > .node__box > .node__head > .node__summary');
    mount(summary, this.summary(nodeAt(this.root, path)));
    const parent = parentPath(path);
    if (path !== '' && parent !== path) {
      const parentLi = this.container.querySelector(`li.node[data-path="${CSS.escape(parent)}"]`);
      if (parentLi && path.includes('.')) this.refreshSummary(parent);
    }
  }

  tools(node, path) {
    const siblings = nodeAt(this.root, parentPath(path)).children;
    const index = Number(path.split('.').pop());
    const name = node.title || node.key || node.ref || node.id || KIND()[node.type];
    const tool = (action, symbol, label, disabled) => h('button', {
      type: 'button', class: 'btn btn--icon', dataset: { action, path }, 'aria-label': interpolate(label, { name }),
      title: interpolate(label, { name }), disabled: disabled || null, onclick: () => this.act(action, path),
    }, h('span', { 'aria-hidden': 'true' }, symbol));
    const previous = siblings[index - 1];
    return [
      tool('up', '↑', gettext('Move “%(name)s” up'), index === 0),
      tool('down', '↓', gettext('Move “%(name)s” down'), index === siblings.length - 1),
      tool('indent', '→', gettext('Move “%(name)s” into the group above'), !(previous && previous.type === 'group')),
      tool('outdent', '←', gettext('Move “%(name)s” out of its group'), !path.includes('.')),
      tool('remove', '✕', gettext('Remove “%(name)s”'), false),
    ];
  }

  fields(node, path) {
    const at = (attribute) => `requirements:${path}/${attribute}`;
    const bind = (attribute, label, options = {}) => field({
      name: at(attribute), label, get: () => node[attribute], set: (value) => { node[attribute] = value; },
      onInput: () => { this.refreshSummary(path); this.refreshTotals(); this.onChange(false); }, ...options,
    });
    const numberAttrs = { inputmode: 'decimal', autocomplete: 'off' };
    const row = (kind, ...cells) => h('div', { class: `row row--${kind}` }, cells);
    if (node.type === 'group') {
      return row('group',
        bind('title', gettext('Group title'), { hint: gettext('Shown to learners, e.g. a module name.') }),
        bind('min_count', gettext('At least (requirements)'), { attrs: { inputmode: 'numeric', autocomplete: 'off' }, hint: gettext('Empty: all are required.') }),
        bind('min_credits', gettext('At least (credits)'), { attrs: numberAttrs, hint: interpolate(gettext('Empty: no credit rule. Available: %(credits)s.'), { credits: formatNumber(availableCredits(node)) }) }));
    }
    const credits = bind('credits', gettext('Credits'), { attrs: numberAttrs });
    if (node.type === 'course') {
      const conditions = [node.runs === 'this', node.min_grade !== '', node.mode !== ''].some(Boolean);
      return [
        row('course', this.coursePicker(node, path), bind('title', gettext('Course title')), credits,
          bind('hours', gettext('Hours'), { attrs: numberAttrs })),
        h('details', { class: 'more', open: conditions || null },
          h('summary', {}, gettext('More conditions: runs, minimum grade, certificate mode')),
          row('conditions',
            bind('runs', gettext('Runs that count'), { control: 'select', options: [['any', gettext('Any run of this course')], ['this', gettext('This run only')]] }),
            bind('min_grade', gettext('Minimum grade'), { attrs: numberAttrs, hint: gettext('0–1, e.g. 0.8. Empty: a pass.') }),
            bind('mode', gettext('Certificate mode'), { attrs: { autocomplete: 'off' }, hint: gettext('Only with the "earned certificate" basis, e.g. verified.') }))),
      ];
    }
    if (node.type === 'program') {
      return row('leaf',
        bind('ref', gettext('Programme id'), { hint: gettext('Learners need an active credential of this programme.'), attrs: { autocomplete: 'off' } }),
        bind('title', gettext('Title')), credits);
    }
    return [
      row('leaf',
        bind('id', gettext('Achievement id'), { hint: gettext('As staff record it, e.g. huawei-hcia-ai.'), attrs: { autocomplete: 'off' } }),
        bind('title', gettext('Title')), credits),
      row('wide', bind('badge_template', gettext('Badge template'), { hint: gettext('Optional UUID: a badge of this template satisfies it.'), attrs: { autocomplete: 'off' } })),
    ];
  }

  coursePicker(node, path) {
    const id = uid('course');
    const listId = `${id}-list`;
    const hintId = `${id}-hint`;
    let options = [];
    let active = -1;
    let timer = null;
    const input = h('input', {
      id, type: 'text', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
      'aria-controls': listId, autocomplete: 'off', spellcheck: 'false', class: 'mono', 'aria-describedby': hintId,
      placeholder: 'course-v1:ORG+NUMBER+RUN',
    });
    input.dataset.describedBy = hintId;
    input.value = node.key;
    const list = h('ul', { id: listId, role: 'listbox', class: 'picker__list', hidden: true, 'aria-label': gettext('Courses') });
    const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); active = -1; };
    const choose = (course) => {
      node.key = course.key;
      input.value = course.key;
      if (!node.title && course.title) {
        node.title = course.title;
        const titleInput = input.closest('.node__body').querySelector(`[data-field="requirements:${path}/title"] input`);
        if (titleInput) titleInput.value = course.title;
      }
      close();
      this.refreshSummary(path);
      this.onChange(false);
      announce(interpolate(gettext('Chose %(course)s.'), { course: course.title || course.key }));
    };
    const highlight = (index) => {
      active = index;
      [...list.children].forEach((li, i) => li.setAttribute('aria-selected', i === index ? 'true' : 'false'));
      if (index >= 0 && list.children[index]) {
        input.setAttribute('aria-activedescendant', list.children[index].id);
        list.children[index].scrollIntoView({ block: 'nearest' });
      }
    };
    const show = (courses) => {
      options = courses.slice(0, 20);
      mount(list, options.map((course, i) => h('li', {
        id: `${listId}-${i}`, role: 'option', 'aria-selected': 'false',
        onmousedown: (event) => { event.preventDefault(); choose(course); },
      }, course.title || course.key, h('span', { class: 'mono' }, course.key))));
      list.hidden = !options.length;
      input.setAttribute('aria-expanded', options.length ? 'true' : 'false');
      active = -1;
    };
    input.addEventListener('input', () => {
      node.key = input.value.trim();
      this.refreshSummary(path);
      this.onChange(false);
      window.clearTimeout(timer);
      const query = input.value.trim();
      timer = window.setTimeout(() => {
        this.searchCourses(query).then(show).catch(() => show([]));
      }, 150);
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        if (list.hidden) this.searchCourses(input.value.trim()).then(show).catch(() => show([]));
        else highlight(Math.min(active + 1, options.length - 1));
      } else if (event.key === 'ArrowUp' && !list.hidden) {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === 'Enter' && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(options[active]);
      } else if (event.key === 'Escape' && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener('blur', () => window.setTimeout(close, 100));
    return h('div', { class: 'field field--picker', dataset: { field: `requirements:${path}/key` } },
      h('label', { for: id, class: 'required' }, gettext('Course')),
      h('div', { class: 'picker' }, input, list),
      h('span', { class: 'visually-hidden', id: hintId }, gettext('Type a course name, number or key and choose from the list (arrow keys, Enter).')),
      h('div', { class: 'field__msgs', id: `${id}-msg` }));
  }

  add(path, type) {
    const group = nodeAt(this.root, path);
    const node = type === 'group' ? emptyGroup('') : emptyLeaf(type);
    group.children.push(node);
    const newPath = childPath(path, group.children.length - 1);
    this.render(`li.node[data-path="${newPath}"] input, li.node[data-path="${newPath}"] select`);
    this.onChange(true);
    announce(interpolate(gettext('Added a %(kind)s.'), { kind: KIND()[type] }));
  }

  act(action, path) {
    const parent = parentPath(path);
    const siblings = nodeAt(this.root, parent).children;
    const index = Number(path.split('.').pop());
    const node = siblings[index];
    let newPath = path;
    if (action === 'up' && index > 0) {
      [siblings[index - 1], siblings[index]] = [siblings[index], siblings[index - 1]];
      newPath = childPath(parent, index - 1);
    } else if (action === 'down' && index < siblings.length - 1) {
      [siblings[index + 1], siblings[index]] = [siblings[index], siblings[index + 1]];
      newPath = childPath(parent, index + 1);
    } else if (action === 'indent' && siblings[index - 1] && siblings[index - 1].type === 'group') {
      const target = siblings[index - 1];
      siblings.splice(index, 1);
      target.children.push(node);
      newPath = childPath(childPath(parent, index - 1), target.children.length - 1);
    } else if (action === 'outdent' && path.includes('.')) {
      const grand = parentPath(parent);
      const parentIndex = Number(parent.split('.').pop());
      siblings.splice(index, 1);
      nodeAt(this.root, grand).children.splice(parentIndex + 1, 0, node);
      newPath = childPath(grand, parentIndex + 1);
    } else if (action === 'remove') {
      const name = node.title || node.key || node.ref || node.id || KIND()[node.type];
      // a leaf is quick to add back; a group may hold a whole module
      if (node.type === 'group' && node.children.length && !window.confirm(interpolate(
        gettext('Remove the group “%(name)s” and the %(count)s requirements in it?'), { name, count: node.children.length }))) return;
      siblings.splice(index, 1);
      const next = siblings.length ? childPath(parent, Math.min(index, siblings.length - 1)) : null;
      this.render(next ? `li.node[data-path="${next}"] button[data-action="remove"]` : `button[data-add="course"][data-path="${parent}"]`);
      this.onChange(true);
      announce(interpolate(gettext('Removed “%(name)s”.'), { name }));
      return;
    } else {
      return;
    }
    this.render(`li.node[data-path="${newPath}"] button[data-action="${action}"]:not([disabled])`);
    if (!this.container.contains(document.activeElement)) {
      const fallback = this.container.querySelector(`li.node[data-path="${newPath}"] button[data-action="remove"]`);
      if (fallback) fallback.focus();
    }
    this.onChange(true);
    announce(gettext('Moved.'));
  }
}
