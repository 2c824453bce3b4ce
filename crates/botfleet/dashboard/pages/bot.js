// A bot's own page: live status and power buttons, its configuration (saved with the version it
// was read at), "Test config" with a verdict per check, a new token (admin), its live console of
// bot-log lines, "send a message" as the bot, its performance (uptime 1h/24h/7d and strip, figure
// tiles, commands/s, mean latency and errors over a chosen range) and its recent commands.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, act, toast, onSubmit, confirmAction, statusBadge, setPowerButtons, loading, failed, empty, field, timeEl } from '../ui.js';
import { botForm, values, showVerdicts } from '../parts/bot-form.js';
import { commandRow, commandTable, consoleLine, forgetBots } from '../parts/rows.js';
import { performancePanel } from '../parts/performance.js';
import { loadDirectory, channelSelect } from '../parts/channels.js';
import { serverSettingsCard } from '../parts/server-settings.js';

const CONSOLE_LINES = 300;
const RECENT = 20;

export function mount(main, { params, can, navigate }) {
  const id = Number(params.id);
  const cleanups = [];
  replace(main, loading('Loading the bot…'));

  async function load() {
    try {
      // The bot's servers and channels by name, for the pickers: not waited for long (Discord may
      // be slow or unreachable; the fields are then plain ids).
      const directory = Promise.race([loadDirectory(id), new Promise((_, no) => setTimeout(() => no(new Error('slow')), 5000))])
        .catch(() => null);
      const bot = await api.get(`/bots/${id}`);
      draw(bot, await directory);
    } catch (err) {
      replace(main, h('h1', {}, 'Bot'), failed(err, load));
    }
  }

  function draw(bot, directory) {
    cleanups.splice(0).forEach((f) => f());
    const statusSlot = h('span', { class: 'bot-status', 'aria-live': 'polite' });
    const reason = h('p', { class: 'muted' });
    const buttons = {};
    const setStatus = (status, why) => {
      bot.status = status;
      replace(statusSlot, statusBadge(status));
      reason.textContent = why ?? '';
      setPowerButtons(buttons, status);
    };
    // Live status changes seen: an action's answer must not overwrite a newer one.
    let liveSeen = 0;
    setStatus(bot.status, bot.status_reason);

    const power = (action, label, pending) => {
      const b = h('button', { class: ['btn', action === 'start' ? 'btn-primary' : null], type: 'button' }, label);
      b.addEventListener('click', () => act(b, pending, async () => {
        const before = liveSeen;
        const r = await api.post(`/bots/${id}/${action}`);
        if (liveSeen === before) setStatus(r.status, null);
      }, `${bot.name}: ${action} requested`));
      buttons[action] = b;
      setPowerButtons({ [action]: b }, bot.status);
      return b;
    };
    const del = can('bots.delete') ? h('button', { class: 'btn btn-danger', type: 'button' }, 'Delete bot') : null;
    del?.addEventListener('click', async () => {
      const sure = await confirmAction({ title: `Delete ${bot.name}?`, body: 'The bot stops and its configuration and token are removed. Its logs stay.', confirm: 'Delete bot' });
      if (!sure) return;
      const done = await act(del, 'Deleting…', () => api.del(`/bots/${id}`).then(() => true), `${bot.name} deleted`);
      if (done) { forgetBots(); navigate('#/bots'); }
    });

    // Configuration.
    const editable = can('bots.configure');
    const form = botForm(bot, { editable, directory });
    if (!directory) form.prepend(h('p', { class: 'muted' }, "The bot's channels could not be read from Discord: channels are shown as ids."));
    const verdictSlot = h('div', { 'aria-live': 'polite' });
    const test = can('bots.test') ? h('button', { class: 'btn', type: 'button' }, 'Test config') : null;
    test?.addEventListener('click', () => act(test, 'Testing…', async () => {
      showVerdicts(verdictSlot, await api.post(`/bots/${id}/test`));
    }));
    form.append(verdictSlot, h('div', { class: 'actions' },
      editable ? h('button', { class: 'btn btn-primary', type: 'submit' }, 'Save changes') : null, test,
      editable ? h('span', { class: 'muted' }, 'A running bot uses changes from its next start or restart.') : null));
    if (editable) {
      onSubmit(form, 'Saving…', async () => {
        const body = { version: bot.version, ...values(form) };
        try {
          const saved = await api.patch(`/bots/${id}`, body);
          forgetBots();
          toast(`${saved.name} saved`);
          Object.assign(bot, saved);
        } catch (err) {
          if (err.code === 'conflict' && /named/.test(err.message)) err.fields = [{ field: 'name', message: err.message }];
          else if (err.code === 'conflict') err.message += ' Reload the page to see the current settings.';
          throw err;
        }
      });
    }

    const tokenForm = can('bots.token') ? h('form', { class: 'form', novalidate: true },
      h('h3', {}, 'Replace token'),
      field({ label: 'New token', name: 'token', type: 'password', autocomplete: 'off', hint: `Current token ends ${bot.token_hint}.` }),
      h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'submit' }, 'Replace token'))) : null;
    if (tokenForm) {
      onSubmit(tokenForm, 'Replacing…', async (data) => {
        const saved = await api.put(`/bots/${id}/token`, { token: data.get('token').trim(), version: bot.version });
        Object.assign(bot, saved);
        tokenForm.reset();
        tokenForm.querySelector('.hint').textContent = `Current token ends ${saved.token_hint}.`;
        toast('Token replaced. Restart the bot to use it.');
      });
    }

    // Console.
    const consoleBox = h('div', { class: 'console', role: 'log', 'aria-label': `${bot.name} console`, tabindex: '0' });
    const addLine = (row) => {
      const atBottom = consoleBox.scrollTop + consoleBox.clientHeight >= consoleBox.scrollHeight - 8;
      consoleBox.append(consoleLine(row));
      while (consoleBox.children.length > CONSOLE_LINES) consoleBox.firstElementChild.remove();
      if (atBottom) consoleBox.scrollTop = consoleBox.scrollHeight;
    };

    // Send a message.
    const sendForm = can('bots.message') ? h('form', { class: 'form', novalidate: true },
      h('h2', {}, 'Send a message'),
      directory
        ? channelSelect({ label: 'Channel', name: 'channel_id', directory, offText: 'Another channel (by id)…',
          value: bot.channel_ids[0] ?? directory.servers.flatMap((s) => s.channels).find((c) => c.can_post)?.id ?? '' })
        : field({ tag: 'select', label: 'Channel', name: 'channel_id', options: [...bot.channel_ids.map((c) => [c, c]), ['', 'Another channel…']] }),
      field({ label: 'Channel id', name: 'other_channel', inputmode: 'numeric', hint: 'A Discord channel id the bot can post in.' }),
      field({ tag: 'textarea', label: 'Message', name: 'content', rows: 3, maxlength: '2000', required: true }),
      h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Send'))) : null;
    if (sendForm) {
      const other = sendForm.querySelector('[data-field="other_channel"]');
      const pick = sendForm.elements.channel_id;
      const showOther = () => { other.hidden = pick.value !== ''; };
      pick.addEventListener('change', showOther);
      showOther();
      onSubmit(sendForm, 'Sending…', async (data) => {
        const channel = data.get('channel_id') || data.get('other_channel').trim();
        try {
          await api.post(`/bots/${id}/send-message`, { channel_id: channel, content: data.get('content') });
        } catch (err) {
          err.fields = (err.fields ?? []).map((f) => (f.field === 'channel_id' && !data.get('channel_id') ? { ...f, field: 'other_channel' } : f));
          throw err;
        }
        sendForm.elements.content.value = '';
        toast('Message sent');
      });
    }

    // Performance and recent commands.
    const perf = performancePanel({ title: 'Performance', headingId: 'perf-h', botId: id, figures: ['commands', 'latency', 'errors'], strip: true, tiles: true });
    const { table, body } = commandTable(false);
    const recentSlot = h('div', {}, loading('Loading commands…'));
    const map = new Map([[bot.id, bot]]);
    const addCommand = (row, fresh) => {
      if (!body.isConnected) replace(recentSlot, table);
      body.prepend(commandRow(row, map, { fresh, showBot: false }));
      while (body.children.length > RECENT) body.lastElementChild.remove();
    };

    replace(main,
      h('div', { class: 'crumbs' }, h('a', { href: '#/bots' }, 'Bots'), ' / '),
      h('div', { class: 'page-head' },
        h('h1', {}, bot.name), statusSlot,
        h('div', { class: 'actions' },
          can('bots.operate') ? [power('start', 'Start', 'Starting…'), power('stop', 'Stop', 'Stopping…'), power('restart', 'Restart', 'Restarting…')] : null,
          del)),
      reason,
      h('div', { class: 'grid-2' },
        h('section', { class: 'card', 'aria-labelledby': 'config-h' }, h('h2', { id: 'config-h' }, 'Configuration'),
          h('p', { class: 'muted' }, `Version ${bot.version} · token ${bot.token_hint} · changed `, timeEl(bot.updated_at)),
          form, tokenForm ? h('hr') : null, tokenForm),
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'console-h' }, h('h2', { id: 'console-h' }, 'Console'), consoleBox),
          sendForm ? h('section', { class: 'card' }, sendForm) : null)),
      h('div', { class: 'section' }, serverSettingsCard(bot, { directory, editable })),
      h('div', { class: 'section' }, perf.el),
      h('section', { class: 'section', 'aria-labelledby': 'recent-h' },
        h('div', { class: 'feed-head' }, h('h2', { id: 'recent-h' }, 'Recent commands'),
          h('div', { class: 'actions' }, h('a', { href: `#/commands?bot_id=${id}` }, 'All of its commands →'))),
        recentSlot));

    async function fill() {
      try {
        const since = new Date(Date.now() - 3600e3).toISOString();
        const [logs, commands] = await Promise.all([
          api.get('/bot-logs', { bot_id: id, limit: 100 }),
          api.get('/command-logs', { bot_id: id, since, limit: 200 }),
        ]);
        consoleBox.replaceChildren();
        if (logs.items.length === 0) consoleBox.append(h('div', { class: 'muted' }, 'No log lines yet. Start the bot to see what it does.'));
        logs.items.slice().reverse().forEach(addLine);
        consoleBox.scrollTop = consoleBox.scrollHeight;
        body.replaceChildren();
        if (commands.items.length === 0) replace(recentSlot, empty('No commands in the last hour.'));
        else commands.items.slice(0, RECENT).reverse().forEach((r) => addCommand(r, false));
      } catch (err) {
        replace(recentSlot, failed(err, fill));
      }
    }

    const stop = live.onMessage((m) => {
      if (m.bot_id !== undefined && m.bot_id !== id) return;
      if (m.type === 'bot_status') {
        liveSeen += 1;
        setStatus(m.status, m.reason);
      } else if (m.type === 'bot_log') {
        consoleBox.querySelector(':scope > .muted')?.remove();
        addLine(m);
      } else if (m.type === 'command') {
        addCommand(m, true);
      } else if (m.type === 'resync') fill();
    });
    cleanups.push(stop, () => perf.destroy());
    live.subscribe(['bots', 'commands', 'bot_logs'], id);
    fill();
  }

  load();
  return () => cleanups.splice(0).forEach((f) => f());
}
