// The dashboard's entry point: finds out who is signed in, draws the shell (sidebar, user, live
// indicator, sign-out) and routes `#/…` hashes to page modules, loaded on first use. Pages get a
// context with the caller's permissions; a link or control the role cannot use is not drawn (the
// server refuses it anyway). Above every page, the strip of firing alerts (parts/alert-banner.js).

import { api, whenSignedOut } from './api.js';
import * as live from './live.js';
import { h, replace, act } from './ui.js';
import { alertBanner } from './parts/alert-banner.js';

/** Every page: hash pattern, module, the permission it needs, and its sidebar label. */
const ROUTES = [
  { path: '/', page: 'overview', perm: 'bots.read', nav: 'Overview' },
  { path: '/bots', page: 'bots', perm: 'bots.read', nav: 'Bots' },
  { path: '/bots/new', page: 'bot-new', perm: 'bots.create' },
  { path: '/bots/:id', page: 'bot', perm: 'bots.read' },
  { path: '/stock', page: 'stock', perm: 'stock.read', nav: 'Stock' },
  { path: '/announce', page: 'announce', perm: 'bots.message', nav: 'Announce' },
  { path: '/alerts', page: 'alerts', perm: 'alerts.read', nav: 'Alerts' },
  { path: '/jobs', page: 'jobs', perm: 'jobs.read', nav: 'Jobs' },
  { path: '/jobs/:id', page: 'job', perm: 'jobs.read' },
  { path: '/schedules', page: 'schedules', perm: 'schedules.read', nav: 'Schedules' },
  { path: '/webhooks', page: 'webhooks', perm: 'webhooks.read', nav: 'Webhooks' },
  { path: '/commands', page: 'commands', perm: 'logs.read', nav: 'Command log' },
  { path: '/bot-logs', page: 'bot-logs', perm: 'logs.read', nav: 'Bot log' },
  { path: '/audit', page: 'audit', perm: 'audit.read', nav: 'Audit log' },
  { path: '/nodes', page: 'nodes', perm: 'health.read', nav: 'Nodes' },
  { path: '/status-page', page: 'status-page', perm: 'status_page.manage', nav: 'Status page' },
  { path: '/users', page: 'users', perm: 'users.manage', nav: 'Users' },
  { path: '/keys', page: 'keys', perm: 'keys.manage', nav: 'API keys' },
  { path: '/config', page: 'config', perm: 'config.export', nav: 'Configuration' },
  { path: '/account', page: 'account', perm: null, nav: 'Your account' },
];

const root = document.getElementById('app');
let me = null;
let unmount = null;
let shell = null;
let generation = 0;

/** The current hash as {path, query}. */
function location_() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const [path, search = ''] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(search) };
}

function match(path) {
  for (const route of ROUTES) {
    const names = [];
    const re = new RegExp(`^${route.path.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; })}$`);
    const m = path.match(re);
    if (m) return { route, params: Object.fromEntries(names.map((n, i) => [n, m[i + 1]])) };
  }
  return null;
}

/** Changes page (or only the query, with replace: true, for filters). */
export function navigate(hash, { replace: swap = false } = {}) {
  if (swap) {
    history.replaceState(null, '', hash);
    return;
  }
  location.hash = hash;
}

const can = (perm) => perm === null || (me?.permissions ?? []).includes(perm);

// ---- the shell ----------------------------------------------------------------------------

function liveIndicator() {
  const el = h('span', { class: 'live', role: 'status', title: '' });
  const words = {
    live: ['Live', 'Updates arrive as they happen.'],
    connecting: ['Connecting…', 'Reconnecting to live updates.'],
    polling: ['Polling', 'Live updates are unavailable; the page refreshes every few seconds.'],
    off: ['Offline', 'Not connected.'],
  };
  live.onState((s) => {
    el.className = `live live-${s}`;
    el.title = words[s][1];
    replace(el, h('span', { class: 'dot', 'aria-hidden': 'true' }), words[s][0]);
  });
  return el;
}

function drawShell() {
  const nav = h('nav', { class: 'nav', id: 'nav', 'aria-label': 'Main' },
    h('ul', {}, ROUTES.filter((r) => r.nav && can(r.perm)).map((r) =>
      h('li', {}, h('a', { href: `#${r.path}`, dataset: { path: r.path } }, r.nav)))));
  const menu = h('button', { class: 'btn btn-quiet menu-toggle', type: 'button', 'aria-controls': 'nav', 'aria-expanded': 'false' }, 'Menu');
  menu.addEventListener('click', () => {
    const open = menu.getAttribute('aria-expanded') !== 'true';
    menu.setAttribute('aria-expanded', String(open));
    document.body.classList.toggle('nav-open', open);
  });
  const signOut = h('button', { class: 'btn btn-quiet', type: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => act(signOut, 'Signing out…', async () => {
    await api.post('/auth/logout');
    signedOut();
  }));
  const role = me.role ?? 'scoped key';
  const header = h('header', { class: 'topbar' },
    menu,
    h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◆'), h('span', { class: 'brand-name' }, 'botfleet')),
    h('div', { class: 'topbar-right' },
      liveIndicator(),
      h('a', { class: 'who', href: '#/account', title: 'Your account' },
        h('span', { class: 'who-name' }, me.name), h('span', { class: ['role', `role-${role}`] }, role)),
      signOut));
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const alerts = can('alerts.read') ? alertBanner({ can }) : null;
  replace(root,
    h('a', { class: 'skip', href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
    header, alerts?.el, h('div', { class: 'layout' }, nav, main));
  live.follow(alerts ? ['alerts'] : []);
  shell = { nav, main, menu, alerts };
}

/** Forgets the shell (sign-in, sign-out): its alert banner stops listening. */
function dropShell() {
  shell?.alerts?.stop();
  shell = null;
}

function markNav(path) {
  for (const a of shell.nav.querySelectorAll('a')) {
    const p = a.dataset.path;
    const current = p === path || (p !== '/' && path.startsWith(`${p}/`));
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.body.classList.remove('nav-open');
  shell.menu.setAttribute('aria-expanded', 'false');
}

// ---- routing ------------------------------------------------------------------------------

async function route() {
  const mine = ++generation;
  if (unmount) {
    try { unmount(); } catch (err) { console.error(err); }
    unmount = null;
  }
  if (!me) return showSignIn();
  const { path, query } = location_();
  if (me.must_enrol_totp && path !== '/account') return navigate('#/account');
  const found = match(path);
  if (!shell) drawShell();
  markNav(path);
  const main = shell.main;
  live.subscribe([]);
  if (!found) {
    document.title = 'Not found · botfleet';
    replace(main, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
    return;
  }
  if (!can(found.route.perm)) {
    document.title = 'No access · botfleet';
    replace(main, h('h1', {}, 'Not available to you'),
      h('p', {}, `Your role (${me.role ?? 'scoped key'}) cannot open this page. An admin can change your role.`));
    return;
  }
  const module = await import(`./pages/${found.route.page}.js`);
  if (mine !== generation) return;
  replace(main);
  const ctx = { me, can, params: found.params, query, navigate, path };
  const cleanup = module.mount(main, ctx);
  unmount = typeof cleanup === 'function' ? cleanup : null;
  const heading = main.querySelector('h1');
  document.title = `${heading?.textContent ?? 'botfleet'} · botfleet`;
  main.focus({ preventScroll: true });
}

async function showSignIn() {
  dropShell();
  live.stop();
  const module = await import('./pages/sign-in.js');
  replace(root);
  document.title = 'Sign in · botfleet';
  module.mount(root, { signedIn });
}

/** After a successful sign-in: who am I, then the page asked for. */
async function signedIn() {
  me = await api.get('/auth/me');
  live.start({ liveEnabled: me.live });
  dropShell();
  route();
}

function signedOut() {
  me = null;
  live.stop();
  route();
}

/** Another page or an admin ended the session: back to sign-in, keeping where we were. */
whenSignedOut(() => {
  if (me) signedOut();
});

window.addEventListener('hashchange', route);

(async function boot() {
  try {
    me = await api.get('/auth/me');
    live.start({ liveEnabled: me.live });
  } catch {
    me = null;
  }
  route();
})();

