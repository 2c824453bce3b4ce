// API keys (admin): keys for automation, newest first, 50 at a time ("Load more"), each with a
// role or a narrower set of scopes and an optional expiry. A new key is shown once, with a copy button; revoking asks once.

import { api } from '../api.js';
import { h, replace, act, field, onSubmit, toast, confirmAction, loading, failed, empty, timeEl } from '../ui.js';
import { pager } from '../parts/pager.js';

export function mount(main, { me }) {
  const slot = h('div', {}, loading('Loading API keys…'));
  const shown = h('div', { 'aria-live': 'polite' });
  const actions = me.permissions.filter((p) => p !== 'me');
  const scopeBox = h('fieldset', { dataset: { field: 'scopes' }, hidden: true },
    h('legend', {}, 'Scopes'),
    h('div', { class: 'checks' }, actions.map((a) => h('label', { class: 'check-label' }, h('input', { type: 'checkbox', name: 'scopes', value: a }), a))));
  const form = h('form', { class: 'form', novalidate: true },
    h('h2', {}, 'Create a key'),
    field({ label: 'Name', name: 'name', autocomplete: 'off', hint: 'What it is for, e.g. "ci" or "stock sync".' }),
    field({ tag: 'select', label: 'Access', name: 'role', options: [['viewer', 'Role: viewer'], ['operator', 'Role: operator'], ['admin', 'Role: admin'], ['', 'Only the scopes I choose…']], value: 'viewer' }),
    scopeBox,
    field({ label: 'Expires', name: 'expires_at', type: 'datetime-local', hint: 'Leave empty for a key that does not expire.' }),
    h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Create key')));
  form.elements.role.addEventListener('change', () => { scopeBox.hidden = form.elements.role.value !== ''; });
  onSubmit(form, 'Creating…', async (data) => {
    const body = { name: data.get('name').trim() };
    if (data.get('role')) body.role = data.get('role');
    else body.scopes = data.getAll('scopes');
    if (data.get('expires_at')) body.expires_at = new Date(data.get('expires_at')).toISOString();
    const created = await api.post('/api-keys', body);
    form.reset();
    scopeBox.hidden = true;
    showOnce(created);
    load();
  });

  const tbody = h('tbody');
  const pages = pager({
    path: '/api-keys',
    onPage(list, { first }) {
      if (first) {
        tbody.replaceChildren();
        if (list.length === 0) return replace(slot, empty('No API keys yet. Create one below for scripts and automation.'));
        replace(slot, h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['Name', 'Key', 'Access', 'Created', 'Expires', 'Last used', 'State', ''].map((c) => h('th', { scope: 'col' }, c)))),
          tbody)));
      }
      tbody.append(...list.map(row));
    },
  });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'API keys')), shown, slot, pages.foot, h('section', { class: 'card section' }, form));

  function showOnce(created) {
    const copy = h('button', { class: 'btn', type: 'button' }, 'Copy');
    const code = h('code', { tabindex: '0' }, created.key);
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(created.key);
      } catch {
        const range = document.createRange();
        range.selectNodeContents(code);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        document.execCommand('copy');
      }
      toast('Key copied');
    });
    const done = h('button', { class: 'btn btn-quiet', type: 'button', onclick: () => replace(shown) }, 'I have stored it');
    replace(shown, h('div', { class: 'banner banner-ok', role: 'status' },
      h('p', {}, h('strong', {}, `Key "${created.api_key.name}" created. `), 'Copy it now: it is not shown again.'),
      h('div', { class: 'secret' }, code, copy, done)));
    copy.focus();
  }

  function row(key) {
    const revoked = Boolean(key.revoked_at);
    const expired = key.expires_at && Date.parse(key.expires_at) < Date.now();
    const revoke = revoked ? null : h('button', { class: 'btn btn-small btn-danger', type: 'button' }, 'Revoke');
    revoke?.addEventListener('click', async () => {
      if (!await confirmAction({ title: `Revoke "${key.name}"?`, body: 'Anything using it stops working at once.', confirm: 'Revoke key' })) return;
      if (await act(revoke, 'Revoking…', () => api.del(`/api-keys/${key.id}`).then(() => true), `"${key.name}" revoked`)) load();
    });
    return h('tr', {},
      h('td', {}, h('strong', {}, key.name)),
      h('td', { class: 'cmd' }, `${key.key_prefix}…`),
      h('td', {}, key.role ?? h('span', { class: 'cmd' }, (key.scopes ?? []).join(', '))),
      h('td', { class: 'nowrap' }, timeEl(key.created_at)),
      h('td', { class: 'nowrap' }, key.expires_at ? timeEl(key.expires_at) : h('span', { class: 'muted' }, 'never')),
      h('td', { class: 'nowrap' }, key.last_used_at ? timeEl(key.last_used_at) : h('span', { class: 'muted' }, 'never')),
      h('td', {}, revoked ? h('span', { class: 'status status-stopped' }, h('span', { class: 'dot' }), 'Revoked')
        : expired ? h('span', { class: 'status status-stopped' }, h('span', { class: 'dot' }), 'Expired')
          : h('span', { class: 'status status-ok' }, h('span', { class: 'dot' }), 'Active')),
      h('td', {}, revoke));
  }

  async function load() {
    try {
      await pages.first();
    } catch (err) {
      replace(slot, failed(err, load));
    }
  }
  load();
}
