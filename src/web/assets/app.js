// app.js: the console's shell: session (sign-in, sign-out), the hash router
// (#/..., so the server serves one page) and page loading. Pages are
// modules under pages/, each exporting render(main, params, ctx).
import { h, mount } from './dom.js';
import { api, setCsrf, AuthError } from './api.js';

const ROUTES = [
  [/^#?\/?$/, 'overview'],
  [/^#\/recommendations$/, 'recommendations'],
  [/^#\/repositories$/, 'repositories'],
  [/^#\/repo\/(.+)$/, 'repository'],
  [/^#\/image\/(.+)@([^@]+)$/, 'image'],
  [/^#\/vuln\/(.+)$/, 'vulnerability'],
  [/^#\/query$/, 'query'],
  [/^#\/admin$/, 'admin'],
];

const ctx = { session: null };
let seq = 0;

async function loadSession() {
  ctx.session = await api('/api/v1/session', { noAuthRedirect: true });
  setCsrf(ctx.session.csrf);
  const who = document.getElementById('who');
  const s = ctx.session;
  document.getElementById('nav-admin').hidden = !(s.signedIn && s.role === 'owner');
  if (!s.signedIn) return mount(who);
  mount(who, h('span', { class: 'muted' }, `${s.user} (${s.role})`),
    s.authRequired ? h('button', { type: 'button', class: 'small', onclick: signOut }, 'Sign out') : null);
}

async function signOut() {
  await api('/api/v1/session', { method: 'DELETE', noAuthRedirect: true });
  setCsrf(null);
  await loadSession();
  showSignIn();
}

function showSignIn(message) {
  const main = document.getElementById('main');
  const err = h('p', { class: 'error', role: 'alert' }, message || '');
  const user = h('input', { id: 'si-user', name: 'user', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'si-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'si-h' },
    h('h1', { id: 'si-h' }, 'Sign in to Drydock'),
    h('label', { for: 'si-user' }, 'User'), user,
    h('label', { for: 'si-pass' }, 'Password'), pass,
    h('button', { type: 'submit' }, 'Sign in'), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('/api/v1/session', { method: 'POST', json: { user: user.value, password: pass.value }, noAuthRedirect: true });
      pass.value = '';
      await loadSession();
      route();
    } catch (e) {
      err.textContent = e.status === 429 ? 'Too many failed sign-ins; wait a minute.' : 'Wrong user name or password.';
    }
  });
  mount(main, form);
  user.focus();
}

async function route() {
  const my = ++seq;
  const main = document.getElementById('main');
  const hash = location.hash || '#/';
  for (const a of document.querySelectorAll('#nav a'))
    a.toggleAttribute('aria-current', a.getAttribute('href') === hash || (hash === '#' && a.getAttribute('href') === '#/'));
  if (ctx.session && ctx.session.authRequired && !ctx.session.signedIn) return showSignIn();
  for (const [re, page] of ROUTES) {
    const m = hash.match(re);
    if (!m) continue;
    const params = m.slice(1).map(decodeURIComponent);
    mount(main, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const mod = await import(`./pages/${page}.js`);
      if (my !== seq) return;
      ctx.current = () => my === seq;
      await mod.render(main, params, ctx);
      if (my === seq) {
        document.title = (main.querySelector('h1')?.textContent || 'Drydock') + ' · Drydock';
        performance.mark('dd-rendered'); // read by bench/ui/overview.mjs
      }
    } catch (e) {
      if (my !== seq) return;
      if (e instanceof AuthError) { await loadSession(); return showSignIn('Your session ended; sign in again.'); }
      if (e.status === 403) {
        return mount(main, h('h1', null, 'Not permitted'), h('p', { class: 'error', role: 'alert' },
          `Your role (${ctx.session?.role || 'none'}) may not read this page's data: scan results need a role that may pull the repository (reader, writer, owner) or securityreader.`));
      }
      mount(main, h('h1', null, 'Error'), h('p', { class: 'error', role: 'alert' }, e.message));
    }
    return;
  }
  mount(main, h('h1', null, 'Not found'), h('p', null, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview')));
}

window.addEventListener('hashchange', () => { route(); document.getElementById('main').focus({ preventScroll: true }); });
loadSession().then(route, (e) => mount(document.getElementById('main'), h('p', { class: 'error' }, 'Cannot reach the server: ' + e.message)));
