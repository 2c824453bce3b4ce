// The dashboard's only door to botfleet: same-origin fetch with the session cookie (the browser
// sends Origin on writes, which the server checks), errors turned into ApiError carrying the
// server's own {code, message, fields}, and a 401 anywhere sending the person back to sign-in.

/** A failed request, in the server's words. */
export class ApiError extends Error {
  constructor(status, code, message, fields = [], retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

let onUnauthenticated = () => {};

/** What to do when the session has ended (the app shows the sign-in page). */
export function whenSignedOut(fn) {
  onUnauthenticated = fn;
}

/** A query string from an object, leaving out empty values. */
export function query(params = {}) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** One request to `/api/v1{path}`; resolves with the JSON body (null for 204). */
export async function request(method, path, body, { signal } = {}) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' }, signal };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'botfleet did not answer. Check that it is running, then try again.');
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const e = data?.error ?? {};
    const error = new ApiError(
      response.status,
      e.code ?? `http_${response.status}`,
      e.message ?? `botfleet answered ${response.status} ${response.statusText}.`,
      e.fields ?? [],
      response.headers.get('retry-after'),
    );
    if (response.status === 401 && !path.startsWith('/auth/login')) {
      // The session ended: the sign-in page replaces this one, so nobody shows this error.
      error.signedOut = true;
      onUnauthenticated(error);
    }
    throw error;
  }
  return data;
}

/**
 * Every item of a paged list (for a picker or a lookup that must see them all): pages of `limit`
 * until the last one.
 */
async function all(path, params = {}, limit = 200) {
  const items = [];
  let cursor;
  do {
    const page = await request('GET', path + query({ ...params, limit, cursor }));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export const api = {
  get: (path, params, opts) => request('GET', path + query(params), undefined, opts),
  all,
  post: (path, body = {}) => request('POST', path, body),
  patch: (path, body) => request('PATCH', path, body),
  put: (path, body) => request('PUT', path, body),
  del: (path, body) => request('DELETE', path, body),
};
