// The REST endpoints the authoring app calls (/api/microcred/v1/, DESIGN §5). One function per
// endpoint, so the pages never build URLs themselves.
import { request, requestAll } from './http.js';

const enc = encodeURIComponent;
const JSON_TYPE = 'application/json';

export const api = {
  list: (params = {}) => {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
    return requestAll(`programmes/${query ? `?${query}` : ''}`);
  },
  get: (id) => request(`programmes/${enc(id)}/`).then((r) => r.data),
  create: (definition) => request('programmes/', { method: 'POST', json: definition }),
  getDefinition: (id) => request(`programmes/${enc(id)}/definition`, { accept: JSON_TYPE }),
  saveDefinition: (id, definition, etag) => request(`programmes/${enc(id)}/definition`, {
    method: 'PUT', json: definition, headers: etag ? { 'If-Match': etag } : {},
  }),
  validate: (id, definition) => request(`programmes/${enc(id)}/validate`, { method: 'POST', json: definition }).then((r) => r.data),
  preview: (id) => request(`programmes/${enc(id)}/preview`).then((r) => r.data),
  publish: (id, etag) => request(`programmes/${enc(id)}/publish`, { method: 'POST', json: {}, headers: etag ? { 'If-Match': etag } : {} }).then((r) => r.data),
  retire: (id) => request(`programmes/${enc(id)}/retire`, { method: 'POST', json: {} }).then((r) => r.data),
  remove: (id) => request(`programmes/${enc(id)}/`, { method: 'DELETE' }),
  versions: (id) => requestAll(`programmes/${enc(id)}/versions/`),
  diff: (id, from, to) => request(`programmes/${enc(id)}/versions/diff?from=${enc(from)}&to=${enc(to)}`).then((r) => r.data),
  exportXml: (id) => request(`programmes/${enc(id)}/definition`, { accept: 'application/xml' }).then((r) => r.data),
  importXml: (id, xml, etag) => request(`programmes/${enc(id)}/definition`, {
    method: 'PUT', body: xml, contentType: 'application/xml', headers: etag ? { 'If-Match': etag } : {},
  }),
  createFromXml: (xml) => request('programmes/', { method: 'POST', body: xml, contentType: 'application/xml' }),
  courses: (search) => request(`courses/?search=${enc(search)}`).then((r) => (Array.isArray(r.data) ? r.data : r.data.results || [])),
  courseProgrammes: (key) => requestAll(`courses/${enc(key)}/programmes/`),
};
