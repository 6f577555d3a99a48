// Modal dialogs on the native <dialog> element: focus moves in and is trapped by the browser,
// Escape closes, and focus returns to the control that opened it.
import { h, uid } from './dom.js';
import { gettext } from './i18n.js';

/**
 * Open a modal. `body` is a node (or array), `actions` [{label, kind, onClick, id}] where
 * onClick(close) may return a promise; resolves when the dialog closes.
 */
export function openDialog({ title, body, actions = [], closeLabel = gettext('Close'), wide = false }) {
  const opener = document.activeElement;
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: wide ? 'dialog--wide' : '' });
  return new Promise((resolve) => {
    const close = (value) => { dialog.close(); resolve(value); };
    const buttons = actions.map((action) => h('button', {
      type: 'button', class: `btn ${action.kind === 'primary' ? 'btn--primary' : action.kind === 'danger' ? 'btn--danger' : 'btn--outline'}`,
      id: action.id || null, 'data-action': action.name || null,
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try { await action.onClick(close, dialog); } finally { button.disabled = false; }
      },
    }, action.label));
    dialog.append(
      h('div', { class: 'dialog__head' }, h('h2', { id: titleId }, title),
        h('button', { type: 'button', class: 'btn btn--icon', 'aria-label': closeLabel, onclick: () => close(null) },
          h('span', { 'aria-hidden': 'true' }, '✕'))),
      h('div', { class: 'dialog__body' }, body),
      h('div', { class: 'dialog__foot' }, buttons,
        h('button', { type: 'button', class: 'btn btn--outline', onclick: () => close(null) }, closeLabel)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(null);
      if (opener && document.contains(opener)) opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
