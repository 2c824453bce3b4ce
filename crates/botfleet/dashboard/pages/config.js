// Configuration: the whole set-up (bots, server settings, products, alerts, schedules, webhooks,
// settings) downloaded as one JSON document — bot tokens and alert channel and webhook URLs only
// with a passphrase, sealed under it — and a document imported: choosing the file shows the dry
// run's diff section by section (new, changed field by field, unchanged, kept), and Import applies
// it all or nothing.

import { api } from '../api.js';
import { h, replace, act, field, toast, errorText } from '../ui.js';

const ACTION_WORDS = { create: 'New', change: 'Changed', unchanged: 'Unchanged', kept: 'Kept (not in the file)' };
const ACTION_LOOK = { create: 'ok', change: 'warn', unchanged: 'stopped', kept: 'stopped' };
const show = (v) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function badge(action) {
  return h('span', { class: ['status', `status-${ACTION_LOOK[action]}`], dataset: { action } },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), ACTION_WORDS[action] ?? action);
}

/** The report as one table per section; changed items list each field old → new. */
function diffView(report) {
  const t = report.totals;
  const summary = `${t.created} new, ${t.changed} changed, ${t.unchanged} unchanged, ${t.kept} kept`;
  const sections = report.sections.map((s) => h('section', { class: 'diff-section', dataset: { section: s.section } },
    h('h3', {}, s.section.replaceAll('_', ' ')),
    s.items.length === 0 ? h('p', { class: 'muted' }, 'Nothing in this section.') :
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Item', 'What happens', 'Changes'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, s.items.map((item) => h('tr', { dataset: { key: item.key, action: item.action } },
          h('td', {}, item.key),
          h('td', {}, badge(item.action)),
          h('td', {}, item.action === 'change'
            ? h('ul', { class: 'changes' }, Object.entries(item.changes).map(([f, c]) =>
              h('li', {}, h('code', {}, f), `: ${show(c.old)} → ${show(c.new)}`)))
            : null))))))));
  return h('div', { class: 'diff' }, h('p', { class: 'diff-summary', role: 'status' }, summary), sections);
}

function problems(err) {
  const fields = err?.fields ?? [];
  return h('div', { class: 'state state-error', role: 'alert' },
    h('p', {}, errorText(err)),
    fields.length ? h('ul', { class: 'problems' }, fields.map((f) => h('li', {}, h('code', {}, f.field), `: ${f.message}`))) : null);
}

/** Runs `fn` with `button` shown busy; its error is the caller's to show (with its fields). */
async function pending(button, label, fn) {
  const text = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = text;
  }
}

function exportCard() {
  const pass = field({ label: 'Passphrase (optional)', name: 'passphrase', type: 'password', autocomplete: 'new-password',
    hint: 'With a passphrase (12 characters or more) the file also carries bot tokens and alert channel and webhook URLs, sealed under it. Keep it apart from the file.' });
  const button = h('button', { class: 'btn btn-primary', type: 'submit' }, 'Download configuration');
  const form = h('form', { class: 'form' }, pass, h('div', {}, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const passphrase = form.elements.passphrase.value;
    const doc = await act(button, 'Exporting…', () => api.post('/config/export', passphrase ? { passphrase } : {}));
    if (!doc) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
    const link = h('a', { href: url, download: `botfleet-config-${doc.exported_at.slice(0, 10)}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    form.elements.passphrase.value = '';
    toast(doc.secrets ? 'Configuration downloaded, secrets sealed under your passphrase.' : 'Configuration downloaded, without secrets.');
  });
  return h('section', { class: 'card', 'aria-labelledby': 'export-h' }, h('h2', { id: 'export-h' }, 'Export'), form);
}

function importCard() {
  const file = field({ label: 'Configuration file', name: 'file', type: 'file', accept: '.json,application/json' });
  const pass = field({ label: 'Passphrase', name: 'passphrase', type: 'password', autocomplete: 'off',
    hint: 'Only for a file exported with one.' });
  const check = h('button', { class: 'btn', type: 'submit' }, 'Check file');
  const apply = h('button', { class: 'btn btn-primary', type: 'button', hidden: true }, 'Import');
  const result = h('div', { class: 'import-result' });
  const form = h('form', { class: 'form' }, file, pass, h('div', { class: 'actions' }, check, apply));
  let document = null;

  const send = (dry_run) => {
    const passphrase = form.elements.passphrase.value;
    return api.post('/config/import', { document, dry_run, ...(passphrase ? { passphrase } : {}) });
  };

  async function dryRun() {
    apply.hidden = true;
    const chosen = form.elements.file.files?.[0];
    if (!chosen) return replace(result, problems(new Error('Choose a file exported from botfleet first.')));
    try {
      document = JSON.parse(await chosen.text());
    } catch (err) {
      return replace(result, problems(new Error(`This file is not JSON: ${err.message}`)));
    }
    try {
      const report = await pending(check, 'Checking…', () => send(true));
      replace(result, h('h3', {}, 'What the import will do'), diffView(report));
      apply.hidden = report.totals.created + report.totals.changed === 0;
      if (apply.hidden) result.append(h('p', { class: 'muted' }, 'Nothing to import: this botfleet already has this configuration.'));
    } catch (err) {
      replace(result, problems(err));
    }
  }

  form.addEventListener('submit', (event) => { event.preventDefault(); dryRun(); });
  form.elements.file.addEventListener('change', dryRun);
  apply.addEventListener('click', async () => {
    try {
      const report = await pending(apply, 'Importing…', () => send(false));
      apply.hidden = true;
      replace(result, h('h3', {}, 'Imported'), diffView(report));
      toast(`Imported: ${report.totals.created} new, ${report.totals.changed} changed.`);
    } catch (err) {
      replace(result, problems(err));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'import-h' }, h('h2', { id: 'import-h' }, 'Import'),
    h('p', { class: 'muted' }, 'Bots, products, rules, channels and webhooks are matched by name; what this botfleet has and the file does not is kept. All or nothing.'),
    form, result);
}

export function mount(main, { can }) {
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Configuration')),
    h('p', { class: 'muted' }, 'Move this botfleet\'s set-up to another installation, or keep it as a file. Logs and history stay: for those, back up the database.'),
    exportCard(), can('config.import') ? importCard() : null);
}
