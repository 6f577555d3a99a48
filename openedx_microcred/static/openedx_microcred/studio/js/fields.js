// Labelled form fields bound to the model, each with a message slot for its validation issues.
// A field wrapper carries data-field="<name>": showIssues() finds it by that name, puts the
// plain-language messages next to the input and links them with aria-describedby.
import { h, uid } from './dom.js';
import { gettext } from './i18n.js';

/**
 * A labelled control. `control` is 'input' | 'textarea' | 'select'; `get()` reads the model,
 * `set(value)` writes it and the `onInput` callback is told. `options` for selects:
 * [[value, label], …].
 */
export function field({ name, label, hint = '', control = 'input', type = 'text', get, set, onInput,
  options = [], attrs = {}, wide = false, required = false }) {
  const id = uid('field');
  const hintId = hint ? `${id}-hint` : null;
  const msgId = `${id}-msg`;
  let input;
  const changed = () => {
    set(input.value);
    if (onInput) onInput(name);
  };
  if (control === 'select') {
    input = h('select', { id, name, ...attrs, onchange: changed },
      options.map(([value, text]) => h('option', { value, selected: String(get()) === String(value) }, text)));
  } else if (control === 'textarea') {
    input = h('textarea', { id, name, rows: 3, ...attrs, oninput: changed });
    input.value = get() ?? '';
  } else {
    input = h('input', { id, name, type, ...attrs, oninput: changed });
    input.value = get() ?? '';
  }
  if (required) input.setAttribute('aria-required', 'true');
  input.dataset.describedBy = hintId || '';
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: `field${wide ? ' field--wide' : ''}`, dataset: { field: name } },
    h('label', { for: id, class: required ? 'required' : null }, label),
    input,
    hint ? h('span', { class: 'hint', id: hintId }, hint) : null,
    h('div', { id: msgId, class: 'field__msgs' }));
}

/**
 * Show `issues` ([{field, level, message}]) at their fields inside `root`; issues whose field
 * has no control on the page are returned (the caller lists them elsewhere).
 */
export function showIssues(root, issues) {
  const byField = new Map();
  for (const issue of issues) {
    if (!byField.has(issue.field)) byField.set(issue.field, []);
    byField.get(issue.field).push(issue);
  }
  const unplaced = [];
  for (const wrapper of root.querySelectorAll('[data-field]')) {
    const list = byField.get(wrapper.dataset.field) || [];
    byField.delete(wrapper.dataset.field);
    const slot = wrapper.querySelector(':scope > .field__msgs');
    const control = wrapper.querySelector(':scope > input, :scope > select, :scope > textarea, :scope .picker > input');
    if (!slot) continue;
    slot.replaceChildren(...list.map((issue) => h('p', { class: `field__msg field__msg--${issue.level}` },
      h('span', { class: 'visually-hidden' }, issue.level === 'error' ? gettext('Error:') : gettext('Warning:')), ' ', issue.message)));
    const hasError = list.some((issue) => issue.level === 'error');
    wrapper.classList.toggle('field--error', hasError);
    if (control) {
      const described = [control.dataset.describedBy, list.length ? slot.id : ''].filter(Boolean).join(' ');
      if (described) control.setAttribute('aria-describedby', described);
      else control.removeAttribute('aria-describedby');
      if (hasError) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
  }
  for (const list of byField.values()) unplaced.push(...list);
  return unplaced;
}

/** Move keyboard focus to the control of `fieldName` (revealing its tab or node first). */
export function focusField(root, fieldName) {
  const wrapper = root.querySelector(`[data-field="${CSS.escape(fieldName)}"]`);
  if (!wrapper) return false;
  for (let folded = wrapper.closest('details'); folded; folded = folded.parentElement.closest('details')) folded.open = true;
  const control = wrapper.querySelector('input, select, textarea, button');
  (control || wrapper).focus();
  wrapper.scrollIntoView({ block: 'center' });
  return true;
}
