// Users (admin): the accounts by name, 50 at a time ("Load more"), each with its role (changed in
// place), two-factor and lock state; create a user, reset a password, lift a sign-in lock, end
// someone's sessions, delete. Destructive actions ask once.

import { api } from '../api.js';
import { h, replace, act, field, onSubmit, toast, confirmAction, modal, loading, failed, timeEl } from '../ui.js';
import { pager } from '../parts/pager.js';

const ROLES = [['viewer', 'Viewer — reads everything but secrets'], ['operator', 'Operator — runs the bots'], ['admin', 'Admin — everything']];

export function mount(main, { me }) {
  const slot = h('div', {}, loading('Loading users…'));
  const form = h('form', { class: 'form', novalidate: true },
    h('h2', {}, 'Add a user'),
    h('div', { class: 'row-fields' },
      field({ label: 'User name', name: 'username', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', hint: '3 to 64 of a-z, 0-9, . _ - @' }),
      field({ tag: 'select', label: 'Role', name: 'role', options: ROLES.map(([v]) => [v, v]), value: 'viewer' })),
    field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'new-password', hint: '10 to 256 characters. Give it to them privately; they can change it.' }),
    h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add user')));
  onSubmit(form, 'Adding…', async (data) => {
    const user = await api.post('/users', { username: data.get('username').trim(), password: data.get('password'), role: data.get('role') });
    toast(`${user.username} added as ${user.role}`);
    form.reset();
    load();
  });

  const tbody = h('tbody');
  const pages = pager({
    path: '/users',
    onPage(users, { first }) {
      if (first) {
        tbody.replaceChildren();
        replace(slot, h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['User', 'Role', 'Two-factor', 'Locked', 'Created', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
          tbody)));
      }
      tbody.append(...users.map(row));
    },
  });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Users')), slot, pages.foot, h('section', { class: 'card section' }, form));

  function row(user) {
    const self = user.id === me.user?.id;
    const role = h('select', { 'aria-label': `Role of ${user.username}` }, ROLES.map(([v]) => h('option', { value: v, selected: v === user.role }, v)));
    role.addEventListener('change', async () => {
      const previous = user.role;
      const saved = await act(null, null, () => api.patch(`/users/${user.id}`, { role: role.value }), `${user.username} is now ${role.value}`);
      if (saved) user.role = saved.role;
      else role.value = previous;
    });
    const reset = h('button', { class: 'btn btn-small', type: 'button' }, 'Reset password');
    reset.addEventListener('click', () => {
      const f = h('form', { class: 'form', novalidate: true },
        h('p', {}, `Sets a new password for ${user.username} and signs them out everywhere.`),
        field({ label: 'New password', name: 'password', type: 'password', autocomplete: 'new-password', hint: '10 to 256 characters.' }),
        h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Set password')));
      const { close } = modal(`Reset ${user.username}'s password`, f);
      onSubmit(f, 'Saving…', async (data) => {
        const r = await api.put(`/users/${user.id}/password`, { password: data.get('password') });
        close();
        toast(`Password set; ${r.sessions_ended} session${r.sessions_ended === 1 ? '' : 's'} ended`);
      });
      f.querySelector('input').focus();
    });
    const end = h('button', { class: 'btn btn-small', type: 'button' }, 'End sessions');
    end.addEventListener('click', async () => {
      if (!await confirmAction({ title: `Sign ${user.username} out everywhere?`, confirm: 'End sessions' })) return;
      act(end, 'Ending…', () => api.del(`/users/${user.id}/sessions`), (r) => `${r.sessions_ended} session${r.sessions_ended === 1 ? '' : 's'} ended`);
    });
    const del = h('button', { class: 'btn btn-small btn-danger', type: 'button', disabled: self, title: self ? 'You cannot delete yourself' : null }, 'Delete');
    del.addEventListener('click', async () => {
      if (!await confirmAction({ title: `Delete ${user.username}?`, body: 'Their sessions end and they can no longer sign in. The audit log keeps what they did.', confirm: 'Delete user' })) return;
      if (await act(del, 'Deleting…', () => api.del(`/users/${user.id}`).then(() => true), `${user.username} deleted`)) load();
    });
    const locked = user.locked_until && new Date(user.locked_until) > new Date();
    const unlock = locked ? h('button', { class: 'btn btn-small', type: 'button' }, 'Unlock') : null;
    unlock?.addEventListener('click', async () => {
      if (await act(unlock, 'Unlocking…', () => api.post(`/users/${user.id}/unlock`), `${user.username} can sign in again`)) load();
    });
    return h('tr', {},
      h('td', {}, h('strong', {}, user.username), self ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', {}, role),
      h('td', {}, user.totp_enabled ? 'On' : h('span', { class: 'muted' }, 'Off')),
      h('td', {}, locked ? h('span', {}, 'Locked until ', timeEl(user.locked_until), ' ', unlock) : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'nowrap' }, timeEl(user.created_at)),
      h('td', {}, h('div', { class: 'actions' }, reset, end, del)));
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
