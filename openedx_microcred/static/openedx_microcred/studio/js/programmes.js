// The REST endpoints the authoring app calls (/api/microcred/v1/, DESIGN §5). One function per
// endpoint, so the pages never build URLs themselves. Every change to an existing programme
// sends the ETag last read (If-Match): the API refuses a stale one with 409, so two authors
// never overwrite each other silently.
import { request, requestAll } from './http.js';
import { config } from './i18n.js';

const enc = encodeURIComponent;
const P = (id) => `programmes/${enc(id)}/`;
const ifMatch = (etag) => ({ 'If-Match': etag });

export const api = {
  list: (params = {}) => {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
    return requestAll(`programmes/${query ? `?${query}` : ''}`);
  },
  /** {program_id, org, title, status, revision, published_version, draft_version, learners, credentials} */
  get: (id) => request(P(id)).then((r) => r.data),
  /** Create a draft from the JSON form; resolves to {data: programme, etag}. */
  create: (definition) => request('programmes/', { method: 'POST', json: definition }),
  createFromXml: (xml) => request('programmes/', { method: 'POST', body: xml, contentType: 'application/xml' }),
  /** {data: {program_id, revision, version, status, definition}, etag} */
  getDefinition: (id) => request(`${P(id)}definition`),
  saveDefinition: (id, definition, etag) => request(`${P(id)}definition`, { method: 'PUT', json: definition, headers: ifMatch(etag) }),
  importXml: (id, xml, etag) => request(`${P(id)}definition`, { method: 'PUT', body: xml, contentType: 'application/xml', headers: ifMatch(etag) }),
  exportXml: (id) => request(`${P(id)}definition`, { accept: 'application/xml' }).then((r) => r.data),
  /** {valid, errors: [{line, path, message}], warnings: [...]}; writes nothing. */
  validate: (id, definition) => request(`${P(id)}validate`, { method: 'POST', json: definition }).then((r) => r.data),
  /** {program_id, version, narrative (Markdown), credential (unsigned)} */
  preview: (id) => request(`${P(id)}preview`).then((r) => r.data),
  /** {diff, learners, newly_complete} */
  publishSummary: (id) => request(`${P(id)}publish-summary`).then((r) => r.data),
  /** {data: job, etag} */
  publish: (id, etag) => request(`${P(id)}publish`, { method: 'POST', headers: ifMatch(etag) }),
  publishJob: (id, jobId) => request(`${P(id)}publish-jobs/${enc(jobId)}/`).then((r) => r.data),
  publishJobs: (id) => requestAll(`${P(id)}publish-jobs/`),
  retire: (id, etag) => request(`${P(id)}retire`, { method: 'POST', headers: ifMatch(etag) }),
  remove: (id, etag) => request(P(id), { method: 'DELETE', headers: ifMatch(etag) }),
  versions: (id) => requestAll(`${P(id)}versions/`),
  /** {from_version, to_version, unified, added_courses, removed_courses, credits_before, credits_after} */
  diff: (id, from, to) => request(`${P(id)}diff?from_version=${enc(from)}&to_version=${enc(to)}`).then((r) => r.data),
  /** a page of {username, name, requirements_met, requirements, credits_earned, complete,
   *  credential_uuid, credential_status}, with count/next/previous */
  learners: (id, page = 1) => request(`${P(id)}learners/?page=${enc(page)}`).then((r) => r.data),
  learnersCsvUrl: (id) => `${config().api}${P(id)}learners.csv`,
  revoke: (uuid, reason) => request(`credentials/${enc(uuid)}/revoke`, { method: 'POST', json: { reason } }).then((r) => r.data),
  /** [{course_key, title, org}] of the orgs the user authors */
  courses: (search) => request(`courses/?search=${enc(search)}`).then((r) => r.data.results || []),
  courseProgrammes: (key) => requestAll(`courses/${enc(key)}/programmes/`),
};
