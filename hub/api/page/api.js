// Calls to the hub's API: JSON in and out, the CSRF header on every change, errors as ApiError.
let csrfToken = '';
let onLoggedOut = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.field = body?.field;
    this.body = body;
  }
}

export function setCsrf(token) {
  csrfToken = token ?? '';
}

/** Called when any call answers 401: the page shows the login again. */
export function whenLoggedOut(fn) {
  onLoggedOut = fn;
}

export async function api(method, url, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: text };
  }
  if (res.status === 401 && url !== '/api/login' && url !== '/api/session') onLoggedOut();
  if (!res.ok) throw new ApiError(res.status, json);
  if (json && typeof json.csrfToken === 'string') setCsrf(json.csrfToken);
  return json;
}

export const get = (url) => api('GET', url);
export const post = (url, body = {}) => api('POST', url, body);
