// The REST API client: same-origin fetch with the session cookie and Django's CSRF token.
import { config } from './i18n.js';

export class ApiError extends Error {
  /** `status` (HTTP), `detail` (str) and `errors` ([{line, path, message, level?}]). */
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.detail = (body && body.detail) || '';
    this.errors = (body && Array.isArray(body.errors)) ? body.errors : [];
    this.body = body;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

export function apiUrl(path) {
  return config().api + path;
}

/**
 * `fetch` an API path (relative to /api/microcred/v1/). `json` is sent as JSON, `body` as is
 * (with `contentType`). Resolves to the parsed JSON (or text for non-JSON responses) with the
 * response's ETag on `.etag`; rejects with ApiError for any non-2xx status.
 */
export async function request(path, { method = 'GET', json, body, contentType, accept = 'application/json', headers = {} } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: accept, ...headers } };
  if (method !== 'GET' && method !== 'HEAD') init.headers['X-CSRFToken'] = csrfToken();
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
    init.headers['Content-Type'] = contentType || 'application/xml';
  }
  const response = await fetch(apiUrl(path), init);
  const type = response.headers.get('Content-Type') || '';
  let data = null;
  if (response.status !== 204) {
    data = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  }
  if (!response.ok) {
    throw new ApiError(response.status, typeof data === 'object' ? data : { detail: data });
  }
  return { data, etag: response.headers.get('ETag'), status: response.status };
}

/** Every page of a paginated list (edx-drf-extensions DefaultPagination: {results, next}). */
export async function requestAll(path) {
  const items = [];
  let next = path;
  for (let pages = 0; next && pages < 50; pages += 1) {
    const { data } = await request(next);
    if (Array.isArray(data)) return data;
    items.push(...(data.results || []));
    next = data.next ? data.next.slice(data.next.indexOf(config().api) + config().api.length) : null;
  }
  return items;
}
