// Add bot: the configuration form with its token, "Test config" before saving (per-check
// verdicts), and the server's field errors beside each input when saving fails.

import { api } from '../api.js';
import { h, replace, onSubmit, toast, showErrors, clearErrors, act } from '../ui.js';
import { botForm, values, showVerdicts, usePickers } from '../parts/bot-form.js';
import { directoryOf } from '../parts/channels.js';
import { forgetBots } from '../parts/rows.js';

export function mount(main, { navigate }) {
  const form = botForm(null, { withToken: true });
  const verdictSlot = h('div', { 'aria-live': 'polite' });
  const test = h('button', { class: 'btn', type: 'button' }, 'Test config');
  form.append(verdictSlot, h('div', { class: 'actions' },
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add bot'), test, h('a', { class: 'btn btn-quiet', href: '#/bots' }, 'Cancel')));

  onSubmit(form, 'Adding…', async () => {
    try {
      const bot = await api.post('/bots', values(form));
      forgetBots();
      toast(`${bot.name} added. Start it when you are ready.`);
      navigate(`#/bots/${bot.id}`);
    } catch (err) {
      // A duplicate name is a 409 without fields: it belongs beside the name.
      if (err.code === 'conflict' && /named/.test(err.message)) err.fields = [{ field: 'name', message: err.message }];
      throw err;
    }
  });

  // Once a token is typed, its servers' channels by name (the fields stay ids if Discord says no).
  let asked = '';
  form.elements.token.addEventListener('change', async () => {
    const token = form.elements.token.value.trim();
    if (!/^[\w+/=-]+\.[\w+/=-]+\.[\w+/=-]+$/.test(token) || token === asked) return;
    asked = token;
    try {
      const page = await api.post('/bots/guilds', { token });
      if (asked === token) usePickers(form, directoryOf(page.items));
    } catch {
      // Not a token Discord knows (yet): "Test config" says why; the fields stay ids.
    }
  });

  test.addEventListener('click', () => act(test, 'Testing…', async () => {
    clearErrors(form);
    const { token, intents, channel_ids: channels } = values(form);
    try {
      showVerdicts(verdictSlot, await api.post('/bots/test', { token, intents, channel_ids: channels }));
    } catch (err) {
      showErrors(form, err);
    }
  }));

  replace(main,
    h('div', { class: 'crumbs' }, h('a', { href: '#/bots' }, 'Bots'), ' / '),
    h('div', { class: 'page-head' }, h('h1', {}, 'Add bot')),
    h('div', { class: 'card' }, form));
  form.elements.name.focus();
}
