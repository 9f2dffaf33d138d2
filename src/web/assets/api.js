// api.js: the console's only way to the server: the public REST API
// (/api/v1, /v2) with the session cookie, the CSRF token on every state
// change, and the X-Drydock-Console header (no Basic challenge pop-up).

let csrf = null;

export class AuthError extends Error {}

export function setCsrf(token) { csrf = token; }

export function enc(repo) { return String(repo).split('/').map(encodeURIComponent).join('/'); }

export async function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const headers = { 'X-Drydock-Console': '1', Accept: opts.accept || 'application/json', ...(opts.headers || {}) };
  let body;
  if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 401 && !opts.noAuthRedirect) throw new AuthError('sign-in needed');
  if (r.status === 204) return null;
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!r.ok) {
    const e = (data && data.error) || (data && data.errors && data.errors[0]) || {};
    const err = new Error(e.message || `${r.status} ${r.statusText}`);
    err.status = r.status;
    throw err;
  }
  return data;
}

export function query(kql, top) {
  return api('/api/v1/query', { method: 'POST', json: { query: kql, options: top ? { $top: top } : {} } });
}
