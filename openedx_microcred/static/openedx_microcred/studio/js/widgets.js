// Pieces several pages show: status badges, the learner-facing preview, diffs, downloads.
import { h } from './dom.js';
import { gettext, formatNumber } from './i18n.js';

const STATUS = () => ({
  draft: gettext('Draft'), published: gettext('Published'), retired: gettext('Retired'), new: gettext('Not saved'),
});

export function statusBadge(status) {
  const known = STATUS();
  const kind = status === 'new' ? 'draft' : status;
  return h('span', { class: `badge badge--${kind}`, dataset: { status } }, known[status] || status);
}

/**
 * The preview endpoint's answer: the requirement text a learner reads and the credential as it
 * would be issued (unsigned). Accepts {requirements_text | narrative, credential}.
 */
export function renderPreview(data) {
  const text = data.requirements_text || data.narrative || (data.credential && data.credential.credentialSubject
    && data.credential.credentialSubject.achievement && data.credential.credentialSubject.achievement.criteria
    && data.credential.credentialSubject.achievement.criteria.narrative) || '';
  const credential = data.credential || {};
  const subject = credential.credentialSubject || {};
  const achievement = subject.achievement || {};
  const issuer = credential.issuer || {};
  const facts = [
    [gettext('Credential'), achievement.name || credential.name],
    [gettext('Type'), achievement.achievementType],
    [gettext('Issuer'), typeof issuer === 'string' ? issuer : issuer.name],
    [gettext('Credits'), achievement.creditsAvailable !== undefined ? formatNumber(achievement.creditsAvailable) : null],
    [gettext('Valid until'), credential.validUntil ? gettext('the end of its validity period') : gettext('no expiry')],
  ].filter(([, value]) => value !== null && value !== undefined && value !== '');
  return h('div', { class: 'preview' },
    h('section', { class: 'learner-preview', 'aria-labelledby': 'preview-requirements' },
      h('h3', { id: 'preview-requirements' }, gettext('What learners read')),
      h('div', { class: 'narrative', id: 'preview-narrative' }, text || gettext('No requirement text.'))),
    h('section', { 'aria-labelledby': 'preview-credential', style: 'margin-top:1.25rem' },
      h('h3', { id: 'preview-credential' }, gettext('The credential as it would be issued')),
      h('div', { class: 'credential-card' },
        h('strong', {}, achievement.name || credential.name || ''),
        achievement.description ? h('p', { style: 'margin:0.5rem 0 0' }, achievement.description) : null,
        h('dl', {}, facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, String(value))]))),
      h('details', { style: 'margin-top:0.75rem' },
        h('summary', {}, gettext('Show the credential document (JSON-LD, unsigned)')),
        h('pre', { class: 'json', tabindex: '0' }, JSON.stringify(credential, null, 2)))));
}

/** A diff as the API gives it: a unified-diff string, or {diff: string}, or a list of lines. */
export function renderDiff(diff) {
  let text = diff;
  if (diff && typeof diff === 'object' && !Array.isArray(diff)) text = diff.diff || diff.unified || '';
  const lines = Array.isArray(text) ? text : String(text || '').split('\n');
  if (!lines.join('').trim()) return h('p', {}, gettext('No differences.'));
  return h('pre', { class: 'diff', tabindex: '0', 'aria-label': gettext('Differences') }, lines.map((line) => {
    let kind = '';
    if (line.startsWith('+++') || line.startsWith('---')) kind = 'hunk';
    else if (line.startsWith('+')) kind = 'add';
    else if (line.startsWith('-')) kind = 'del';
    else if (line.startsWith('@@')) kind = 'hunk';
    return h('span', { class: kind }, line || ' ');
  }));
}

/** Save `text` as a file named `filename`. */
export function downloadText(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}
