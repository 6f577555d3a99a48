// Translations from Django's JavaScript catalog (the classic script /microcred/studio/jsi18n/,
// loaded before the modules, defines window.django). English when the catalog is missing.
const catalog = (typeof window !== 'undefined' && window.django) || {};

/** The translation of `text` (xgettext finds the calls as gettext("…")). */
export function gettext(text) {
  return catalog.gettext ? catalog.gettext(text) : text;
}

/** The singular or plural translation for `count`. */
export function ngettext(singular, plural, count) {
  if (catalog.ngettext) return catalog.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

/** `format` with %(name)s replaced from `values` (Django's named interpolation). */
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
}

/** Page configuration rendered by the server (json_script). */
export function config() {
  const node = document.getElementById('studio-config');
  return node ? JSON.parse(node.textContent) : {};
}

/** A number as the reader's language writes it: 12, 3.5, 3.125 (no trailing zeros). */
export function formatNumber(value) {
  if (value === null || value === undefined || value === '') return '';
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  return new Intl.NumberFormat(document.documentElement.lang || 'en', { maximumFractionDigits: 3 }).format(number);
}

/** A date-time as the reader's language writes it. */
export function formatDate(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(document.documentElement.lang || 'en', { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
