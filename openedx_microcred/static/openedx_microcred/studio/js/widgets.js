// Pieces several pages show: status badges, the learner-facing preview, diffs, downloads.
import { h } from './dom.js';
import { gettext, interpolate, formatNumber } from './i18n.js';
import { renderMarkdown } from './markdown.js';

const STATUS = () => ({
  draft: gettext('Draft'), published: gettext('Published'), retired: gettext('Retired'), new: gettext('Not saved'),
});

export function statusBadge(status) {
  const known = STATUS();
  const kind = status === 'new' ? 'draft' : status;
  return h('span', { class: `badge badge--${kind}`, dataset: { status } }, known[status] || status);
}

/**
 * The preview endpoint's answer ({narrative (Markdown), credential (unsigned OB 3.0)}): the
 * requirement text a learner reads and the credential as it would be issued.
 */
export function renderPreview(data) {
  const credential = data.credential || {};
  const subject = credential.credentialSubject || {};
  const achievement = subject.achievement || {};
  const issuer = credential.issuer || {};
  const facts = [
    [gettext('Credential'), achievement.name || credential.name],
    [gettext('Type'), achievement.achievementType],
    [gettext('Issuer'), typeof issuer === 'string' ? issuer : issuer.name],
    [gettext('Credits'), achievement.creditsAvailable !== undefined ? formatNumber(achievement.creditsAvailable) : null],
    [gettext('Expires'), credential.validUntil ? credential.validUntil.slice(0, 10) : gettext('Never')],
  ].filter(([, value]) => value !== null && value !== undefined && value !== '');
  return h('div', { class: 'preview' },
    h('section', { class: 'learner-preview', 'aria-labelledby': 'preview-requirements' },
      h('h3', { id: 'preview-requirements' }, gettext('What learners read')),
      h('div', { class: 'narrative', id: 'preview-narrative' }, renderMarkdown(data.narrative || ''))),
    h('section', { 'aria-labelledby': 'preview-credential', class: 'preview__credential' },
      h('h3', { id: 'preview-credential' }, gettext('The credential as it would be issued')),
      h('div', { class: 'credential-card' },
        h('strong', { class: 'credential-card__name' }, achievement.name || credential.name || ''),
        achievement.description ? h('p', {}, achievement.description) : null,
        h('dl', {}, facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, String(value))]))),
      h('details', {},
        h('summary', {}, gettext('Show the credential document (JSON-LD, unsigned, sample learner)')),
        h('pre', { class: 'json', tabindex: '0', 'aria-label': gettext('Credential document') }, JSON.stringify(credential, null, 2)))));
}

/**
 * A diff as the API gives it ({unified, added_courses, removed_courses, credits_before,
 * credits_after}): a summary in words, then the unified diff of the canonical XML.
 */
export function renderDiff(diff) {
  const facts = [];
  if (diff.added_courses && diff.added_courses.length) {
    facts.push(h('li', {}, gettext('Courses added:'), ' ', h('span', { class: 'mono' }, diff.added_courses.join(', '))));
  }
  if (diff.removed_courses && diff.removed_courses.length) {
    facts.push(h('li', {}, gettext('Courses removed:'), ' ', h('span', { class: 'mono' }, diff.removed_courses.join(', '))));
  }
  if (diff.credits_before !== diff.credits_after && diff.credits_after !== null && diff.credits_after !== undefined) {
    facts.push(h('li', {}, diff.credits_before === null || diff.credits_before === undefined
      ? interpolate(gettext('Credits: %(after)s.'), { after: formatNumber(diff.credits_after) })
      : interpolate(gettext('Credits: %(before)s → %(after)s.'), { before: formatNumber(diff.credits_before), after: formatNumber(diff.credits_after) })));
  }
  const lines = String(diff.unified || '').split('\n');
  const body = lines.join('').trim()
    ? h('pre', { class: 'diff', tabindex: '0', 'aria-label': gettext('Changes to the XML definition') }, lines.map((line) => {
      let kind = '';
      if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('@@')) kind = 'hunk';
      else if (line.startsWith('+')) kind = 'add';
      else if (line.startsWith('-')) kind = 'del';
      return h('span', { class: kind }, line || ' ');
    }))
    : h('p', {}, gettext('No differences in the definition.'));
  return h('div', { class: 'diff-view' }, facts.length ? h('ul', {}, facts) : null, body);
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
