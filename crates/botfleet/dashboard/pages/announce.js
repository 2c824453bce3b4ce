// Announce: one or more messages (text, and optionally an embed's title and description) sent to
// channels as one of the bots — pick the bot, tick its channels by name or type ids — as a
// background job: Send → POST /messages/batch → the job's page, whose progress moves live. Each
// message reaches every channel once, in order, as fast as Discord allows. "Allow pings" is only
// offered to a role with bots.mention; without it nobody is pinged. The server's field errors
// (`messages[1].content`, `channels[0].channel_id`, …) appear beside their inputs.

import { api } from '../api.js';
import { h, replace, field, onSubmit, toast, failed, loading } from '../ui.js';
import { fillSelect, invalid } from '../parts/form-extras.js';
import { bots as botMap } from '../parts/rows.js';
import { channelChecklist, followBot } from '../parts/channels.js';

const MESSAGES_MAX = 100;

export function mount(main, { can, navigate }) {
  const list = h('div', { class: 'announce-messages' });
  const add = h('button', { class: 'btn', type: 'button' }, 'Add another message');
  const bot = field({ label: 'Send as', name: 'bot_id', tag: 'select', required: true,
    hint: 'The bot whose channels these are; each message is sent as this bot.' });
  const channels = field({ label: 'Channel ids', name: 'channels', tag: 'textarea', rows: 4,
    placeholder: '1234567890123456789', spellcheck: 'false',
    hint: 'Channels ticked above, and any typed here: one Discord channel id per line (17 to 19 digits). Every message goes to every channel.' });
  // The chosen bot's channels by name, to tick.
  const picked = h('div', {});
  const pings = can('bots.mention')
    ? h('div', { class: 'field', dataset: { field: 'allowed_mentions' } },
      h('label', { class: 'check-row' }, h('input', { type: 'checkbox', name: 'pings' }), 'Allow pings'),
      h('p', { class: 'hint' }, 'Mentions written in the text (@everyone, @here, roles, users) ping. Off: nobody is pinged.'))
    : null;
  const form = h('form', { class: 'form', novalidate: true },
    h('h2', { class: 'section' }, 'Messages'), list, h('div', { class: 'actions' }, add),
    h('h2', { class: 'section' }, 'Where'), bot, picked, channels, pings,
    h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Send')));

  function renumber() {
    const boxes = [...list.children];
    boxes.forEach((box, i) => {
      box.querySelector('legend').textContent = `Message ${i + 1}`;
      box.querySelector('[data-field$=".content"]').dataset.field = `messages[${i}].content`;
      box.querySelector('[data-field$=".embeds"]').dataset.field = `messages[${i}].embeds`;
      box.dataset.field = `messages[${i}]`;
      const remove = box.querySelector('.remove-message');
      remove.hidden = boxes.length === 1;
      remove.setAttribute('aria-label', `Remove message ${i + 1}`);
    });
    add.disabled = boxes.length >= MESSAGES_MAX;
  }

  function addMessage() {
    const remove = h('button', { class: 'btn btn-small btn-quiet remove-message', type: 'button' }, 'Remove');
    const box = h('fieldset', { class: 'announce-message' }, h('legend', {}),
      field({ label: 'Text', name: 'content', tag: 'textarea', rows: 3, maxlength: 2000,
        hint: 'Up to 2,000 characters. {stock:SKU} and {price:SKU} become the product\'s stock and price when sent.' }),
      h('div', { class: 'field', dataset: { field: 'embeds' } },
        h('details', {}, h('summary', {}, 'Embed (optional)'),
          field({ label: 'Embed title', name: 'embed_title', maxlength: 256 }),
          field({ label: 'Embed description', name: 'embed_description', tag: 'textarea', rows: 3, maxlength: 4096 }))),
      h('div', { class: 'actions' }, remove));
    // The fields inside were made with plain names; their API names are set by renumber().
    box.querySelector('[data-field="content"]').dataset.field = 'messages[].content';
    box.querySelector('[data-field="embeds"]').dataset.field = 'messages[].embeds';
    remove.addEventListener('click', () => { box.remove(); renumber(); list.querySelector('textarea')?.focus(); });
    list.append(box);
    renumber();
    return box;
  }

  function body(fd) {
    const messages = [...list.children].map((box) => {
      const text = (name) => box.querySelector(`[name="${name}"]`).value;
      const message = { content: text('content') };
      const title = text('embed_title').trim();
      const description = text('embed_description').trim();
      if (title || description) {
        message.embeds = [{ ...(title ? { title } : {}), ...(description ? { description } : {}) }];
      }
      if (fd.get('pings')) message.allowed_mentions = { parse: ['everyone', 'roles', 'users'] };
      return message;
    });
    const botId = Number(fd.get('bot_id'));
    const typed = String(fd.get('channels') ?? '').split(/[\s,]+/).filter(Boolean);
    const ids = [...new Set([...fd.getAll('channel_pick').map(String), ...typed])];
    const errors = [];
    if (!botId) errors.push({ field: 'bot_id', message: 'Choose the bot to send as.' });
    if (ids.length === 0) errors.push({ field: 'channels', message: 'Tick or type at least one channel.' });
    if (errors.length) throw invalid(errors);
    return { messages, channels: ids.map((channel_id) => ({ bot_id: botId, channel_id })), ids };
  }

  /** `channels[2].channel_id` → beside the channel box, naming the id; `channels[0].bot_id` → the bot. */
  function placeErrors(err, ids) {
    err.fields = (err.fields ?? []).map((f) => {
      // `messages[0].embeds[0].title` → beside that message's embed.
      const embed = f.field.match(/^(messages\[\d+\]\.embeds)\[\d+\]\.(.+)$/);
      if (embed) return { field: embed[1], message: `${embed[2].replace(/_/g, ' ')}: ${f.message}` };
      const m = f.field.match(/^channels\[(\d+)\]\.(channel_id|bot_id)$/);
      if (!m) return f;
      if (m[2] === 'bot_id') return { field: 'bot_id', message: f.message };
      return { field: 'channels', message: `${ids[Number(m[1])] ?? `Line ${Number(m[1]) + 1}`}: ${f.message}` };
    });
    // A bot that no longer exists is a 404 without fields: it belongs beside the bot.
    if (err.status === 404) err.fields = [{ field: 'bot_id', message: err.message }];
    return err;
  }

  onSubmit(form, 'Sending…', async (fd) => {
    const { ids, ...batch } = body(fd);
    try {
      const job = await api.post('/messages/batch', batch);
      const n = job.total;
      toast(`Sending ${n} message${n === 1 ? '' : 's'} (job ${job.id}).`);
      navigate(`#/jobs/${job.id}`);
    } catch (err) {
      throw placeErrors(err, ids);
    }
  });

  add.addEventListener('click', () => addMessage().querySelector('textarea').focus());
  addMessage();

  const body_ = h('div', { class: 'card' }, loading('Loading the bots…'));
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Announce')),
    h('p', { class: 'muted' }, 'Send messages to channels as a bot: each channel gets each message once, in order, as fast as Discord allows. You follow it on the job\'s page.'),
    body_);

  async function load() {
    try {
      const map = await botMap();
      fillSelect(bot.querySelector('select'), 'Choose a bot…',
        [...map.values()].sort((a, b) => a.name.localeCompare(b.name)).map((b) => [b.id, b.name]));
      replace(body_, form);
      followBot(bot.querySelector('select'), picked, (directory) =>
        channelChecklist({ label: 'Channels', name: 'channel_pick', directory, value: [],
          hint: 'The channels of this bot it may post in, by server.' }));
      form.querySelector('textarea').focus();
    } catch (err) {
      replace(body_, failed(err, load));
    }
  }
  load();
}
