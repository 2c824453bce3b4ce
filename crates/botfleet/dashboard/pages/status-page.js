// Status page (admin): whether the public page at /status is published, its title, and which
// bots it shows under which public label. The page itself needs no sign-in and no JavaScript; it
// shows each chosen bot's state now, its uptime bars and incidents in generic words, never ids,
// tokens or error texts. Saved with the version it was read at (someone else's change in between
// is refused, and the form says so).

import { api } from '../api.js';
import { h, replace, field, onSubmit, toast, loading, failed, empty } from '../ui.js';

export function mount(main) {
  const slot = h('div', {}, loading());
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Status page')),
    h('p', { class: 'muted' },
      'A public page anyone can open without signing in, at ', h('code', {}, '/status'), ' (its facts as JSON at ',
      h('code', {}, '/status.json'), '). It shows only the bots picked here, under their public labels: their state now, ',
      'uptime over 24 hours, 7 days and 90 days, and current and recent incidents. It never shows ids, tokens or error texts, ',
      'and it is refreshed at most every 30 seconds.'),
    slot);
  let stopped = false;

  function draw(settings, bots) {
    const shown = new Map(settings.bots.map((b, i) => [b.bot_id, { ...b, order: i }]));
    // The page's bots first, in its order; then the others by name.
    const ordered = [...bots].sort((a, b) => {
      const [x, y] = [shown.get(a.id), shown.get(b.id)];
      if (x && y) return x.order - y.order;
      if (x || y) return x ? -1 : 1;
      return a.name.localeCompare(b.name);
    });
    const rows = ordered.map((bot) => {
      const on = shown.get(bot.id);
      const pick = h('input', { type: 'checkbox', checked: Boolean(on), 'aria-label': `Show ${bot.name}` });
      const label = h('input', { type: 'text', maxlength: 100, value: on?.label ?? '', placeholder: bot.name, 'aria-label': `Public label for ${bot.name}` });
      const labelBox = h('div', { class: 'field' }, label);
      const up = h('button', { class: 'btn btn-small btn-quiet', type: 'button', 'aria-label': `Move ${bot.name} up` }, '↑');
      const row = h('tr', { 'data-bot-id': String(bot.id) }, h('td', {}, pick), h('td', {}, bot.name), h('td', {}, labelBox), h('td', {}, up));
      return { bot, pick, label, labelBox, up, row };
    });
    // The page lists its bots in the table's order: a row moves up past the one above it.
    for (const r of rows) {
      r.up.addEventListener('click', () => {
        const i = rows.indexOf(r);
        if (i < 1) return;
        [rows[i - 1], rows[i]] = [rows[i], rows[i - 1]];
        r.row.parentNode.insertBefore(r.row, rows[i].row);
        r.up.focus();
      });
    }
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: settings.enabled });
    const open = h('a', { href: '/status', target: '_blank', rel: 'noopener', class: 'btn' }, 'Open the status page');
    const form = h('form', { class: 'form form-wide', novalidate: true },
      h('label', { class: 'check-row' }, enabled, 'Publish the status page (anyone can open it)'),
      field({ label: 'Title', name: 'title', value: settings.title, maxlength: 100, required: true, hint: 'The page\'s heading, e.g. your shop\'s name.' }),
      h('div', { class: 'field', dataset: { field: 'bots' } },
        h('span', { class: 'legend' }, 'Bots shown'),
        h('p', { class: 'hint' }, 'Pick the bots the page lists, in the table\'s order (↑ moves a bot up). A label is what the public sees; left blank, the bot\'s name is shown.'),
        bots.length
          ? h('div', { class: 'table-wrap' }, h('table', { class: 'status-page-bots' },
            h('thead', {}, h('tr', {}, ['Show', 'Bot', 'Public label', 'Order'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, rows.map((r) => r.row))))
          : empty('No bots yet.')),
      h('div', { class: 'actions' },
        h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save'),
        settings.enabled ? open : h('span', { class: 'muted' }, 'Not published: /status answers 404.')));
    onSubmit(form, 'Saving…', async (data) => {
      const picked = rows.filter((r) => r.pick.checked);
      rows.forEach((r) => { delete r.labelBox.dataset.field; });
      picked.forEach((r, i) => { r.labelBox.dataset.field = `bots[${i}].label`; });
      const saved = await api.put('/status-page', {
        enabled: enabled.checked,
        title: String(data.get('title') ?? ''),
        version: settings.version,
        bots: picked.map((r) => ({ bot_id: r.bot.id, label: r.label.value.trim() || null })),
      });
      toast(saved.enabled ? 'Status page saved and published.' : 'Status page saved; not published.');
      if (!stopped) draw(saved, bots);
    });
    replace(slot, form);
  }

  async function load() {
    try {
      const [settings, bots] = await Promise.all([api.get('/status-page'), api.all('/bots')]);
      if (!stopped) draw(settings, bots);
    } catch (err) {
      if (!stopped) replace(slot, failed(err, load));
    }
  }

  load();
  return () => { stopped = true; };
}
