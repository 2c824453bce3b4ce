// The Alerts page's "Channels" tab, for admins only (the list is admin-only on the server too):
// where alerts are sent besides the dashboard, a Discord webhook or a signed HTTP webhook, each
// with "Send test" and its verdict, "Edit" and "Delete", and the form to add or edit one.

import { api } from '../../api.js';
import { h, replace, act, field, onSubmit, toast, loading, failed, empty, uid } from '../../ui.js';
import { badge } from '../../parts/alert-words.js';
import { table, editButton, deleteButton } from '../../parts/admin-table.js';
import { pager } from '../../parts/pager.js';

/**
 * Fills `panel`: the channels by name, 50 at a time ("Load more"). Every channel is kept in `refs`
 * (the rules name them); `refreshRuleForm` runs after each load, so the rule form offers the
 * channels as they are now.
 * Returns {load}.
 */
export function channelsTab(panel, { refs, refreshRuleForm }) {
  const channelsSlot = h('div', {}, loading('Loading channels…'));
  const channelForm = buildChannelForm();
  const rows = h('tbody');
  const pages = pager({
    path: '/alerts/channels',
    onPage(items, { first }) {
      if (first) {
        rows.replaceChildren();
        if (items.length === 0) {
          replace(channelsSlot, empty('No channels yet — add a Discord or HTTP webhook below. Until then alerts show on the dashboard only.'));
          return;
        }
        const t = table(['Channel', 'Kind', 'Target', 'Test', 'Actions'], []);
        t.querySelector('tbody').replaceWith(rows);
        replace(channelsSlot, t);
      }
      rows.append(...items.map(channelRow));
    },
  });
  replace(panel,
    h('p', { class: 'muted' }, 'Where alerts are sent besides this dashboard: a Discord channel webhook, or any HTTPS endpoint that receives signed JSON.'),
    channelsSlot,
    pages.foot,
    h('section', { class: 'card section' }, channelForm.form));

  function channelRow(c) {
    const result = h('span', { class: 'test-result', role: 'status' });
    const test = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Send a test to ${c.name}` }, 'Send test');
    test.addEventListener('click', async () => {
      replace(result);
      const r = await act(test, 'Sending…', () => api.post(`/alerts/channels/${c.id}/test`));
      if (!r) return;
      replace(result, r.delivered
        ? h('span', {}, badge('ok', '✓', 'Delivered'))
        : h('span', {}, badge('err', '✕', 'Not delivered'), ' ', h('span', { class: 'delivery-error' }, r.error ?? 'no reason given')));
    });
    const edit = editButton(c.name, () => channelForm.edit(c));
    const del = deleteButton(c.name, { what: 'channel', path: `/alerts/channels/${c.id}`, body: 'Deliveries still waiting for it are given up.' }, () => {
      if (channelForm.editing() === c.id) channelForm.reset();
      loadChannels();
    });
    return h('tr', { dataset: { channel: c.id } },
      h('td', {}, h('strong', {}, c.name)),
      h('td', {}, c.kind === 'discord_webhook' ? 'Discord webhook' : 'HTTP webhook', c.has_secret ? h('span', { class: 'muted' }, ' (signed)') : null),
      h('td', { class: 'cmd wrap' }, c.target),
      h('td', {}, h('div', { class: 'test-cell' }, test, result)),
      h('td', {}, h('div', { class: 'actions' }, edit, del)));
  }

  async function loadChannels() {
    try {
      const [all] = await Promise.all([api.all('/alerts/channels'), pages.first()]);
      refs.channels = all;
      refreshRuleForm();
    } catch (err) {
      replace(channelsSlot, failed(err, loadChannels));
    }
  }

  function buildChannelForm() {
    const heading = h('h2', { id: uid('channel-form') }, 'Add a channel');
    const kind = field({ tag: 'select', label: 'Kind', name: 'kind', options: [['discord_webhook', 'Discord webhook'], ['http_webhook', 'HTTP webhook (signed JSON)']], value: 'discord_webhook' });
    const url = field({ label: 'URL', name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false', hint: 'https://discord.com/api/webhooks/…/… (Channel settings → Integrations → Webhooks). Stored encrypted; only its start is shown again.' });
    const secret = field({ label: 'Signing secret', name: 'secret', type: 'password', autocomplete: 'new-password', hint: '16 to 256 characters. Each request carries X-Botfleet-Signature: HMAC-SHA256 of "timestamp.body" with it.' });
    const submit = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add channel');
    const cancel = h('button', { class: 'btn', type: 'button', hidden: true }, 'Cancel');
    const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': heading.id },
      heading,
      field({ label: 'Name', name: 'name', autocomplete: 'off', hint: 'e.g. "#ops on Discord" or "PagerDuty".' }),
      kind, url, secret,
      h('div', { class: 'actions' }, submit, cancel));
    const kindSelect = kind.querySelector('select');
    let editing = null;

    function showKind() {
      const http = kindSelect.value === 'http_webhook';
      secret.hidden = !http;
      url.querySelector('.hint').textContent = editing
        ? 'Leave empty to keep the current URL.'
        : http
          ? 'An http:// or https:// endpoint that accepts a POST of JSON.'
          : 'https://discord.com/api/webhooks/…/… (Channel settings → Integrations → Webhooks). Stored encrypted; only its start is shown again.';
      secret.querySelector('.hint').textContent = editing
        ? 'Leave empty to keep the current secret; else 16 to 256 characters.'
        : '16 to 256 characters. Each request carries X-Botfleet-Signature: HMAC-SHA256 of "timestamp.body" with it.';
    }
    kindSelect.addEventListener('change', showKind);

    function reset() {
      editing = null;
      form.reset();
      kindSelect.disabled = false;
      heading.textContent = 'Add a channel';
      submit.textContent = 'Add channel';
      cancel.hidden = true;
      showKind();
    }

    function edit(c) {
      reset();
      editing = c.id;
      heading.textContent = `Edit "${c.name}"`;
      submit.textContent = 'Save channel';
      cancel.hidden = false;
      form.elements.name.value = c.name;
      kindSelect.value = c.kind;
      kindSelect.disabled = true; // a channel keeps its kind: make a new one instead
      form.elements.url.placeholder = c.target;
      showKind();
      form.scrollIntoView({ block: 'start' });
      form.elements.name.focus({ preventScroll: true });
    }
    cancel.addEventListener('click', reset);

    onSubmit(form, 'Saving…', async (data) => {
      const name = String(data.get('name') ?? '').trim();
      const urlText = String(data.get('url') ?? '').trim();
      const secretText = String(data.get('secret') ?? '');
      let saved;
      if (editing) {
        const body = { name };
        if (urlText) body.url = urlText;
        if (secretText) body.secret = secretText;
        saved = await api.patch(`/alerts/channels/${editing}`, body);
      } else {
        const body = { name, kind: kindSelect.value, url: urlText };
        if (kindSelect.value === 'http_webhook') body.secret = secretText;
        saved = await api.post('/alerts/channels', body);
      }
      toast(editing ? `${saved.name} saved` : `${saved.name} added: press "Send test" to try it`);
      reset();
      form.elements.url.placeholder = '';
      loadChannels();
    });
    showKind();
    return { form, reset, edit, editing: () => editing };
  }

  return { load: loadChannels };
}
