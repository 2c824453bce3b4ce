// Stock: the catalogue in display order, 100 products at a time ("Load more"), with each product's stock edited in place (− / + adjust it atomically; a
// typed number is set with the product's version), the show/hide switch that decides what Discord
// shows, low and out of stock highlighted, live updates when someone else changes stock, CSV
// export and (admins) import with a dry run first, and which channels show the stock message.

import { api } from '../api.js';
import * as live from '../live.js';
import { h, replace, act, field, onSubmit, toast, confirmAction, loading, failed, empty, timeEl } from '../ui.js';
import { pager } from '../parts/pager.js';

const WORDS = { in_stock: 'In stock', low: 'Low', out: 'Out of stock' };

function price(p) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: p.currency }).format(p.price_minor / 100);
  } catch {
    return `${(p.price_minor / 100).toFixed(2)} ${p.currency}`;
  }
}

export function mount(main, { me }) {
  const can = (perm) => (me?.permissions ?? []).includes(perm);
  const change = can('stock.change');
  const manage = can('products.manage');
  const rows = new Map(); // product id → { tr, product }
  const tbody = h('tbody', {});
  const slot = h('div', {}, loading('Loading products…'));
  const channels = h('p', { class: 'muted' });

  const exportLink = h('a', { class: 'btn', href: '/api/v1/products/export', download: 'products.csv' }, 'Export CSV');
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Stock'),
    h('div', { class: 'actions' }, exportLink, manage ? importButton() : null));

  let lastLoaded = null; // the last product of the pages loaded so far
  const pages = pager({
    path: '/products',
    limit: 100,
    onPage(items, { first }) {
      if (first) {
        rows.clear();
        tbody.replaceChildren();
        lastLoaded = null;
      }
      lastLoaded = items.at(-1) ?? lastLoaded;
      for (const p of items) {
        if (rows.has(p.id)) continue;
        const tr = row(p);
        tbody.append(tr);
        rows.set(p.id, { tr, product: p });
      }
      draw();
    },
  });
  replace(main, head, channels, slot, pages.foot, manage ? addForm() : null);

  /** Display order: sort order, then name, then id (as the server pages them). */
  const before = (a, b) => a.sort_order - b.sort_order || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id);

  function availability(p) {
    return h('span', { class: ['status', `stock-${p.availability}`] },
      h('span', { class: 'dot', 'aria-hidden': 'true' }), WORDS[p.availability] ?? p.availability);
  }

  function stockCell(p) {
    if (!change) return h('span', { class: 'num' }, String(p.stock));
    const input = h('input', {
      type: 'number', min: '0', step: '1', value: String(p.stock), class: 'stock-input',
      'aria-label': `Stock of ${p.name}`, inputmode: 'numeric',
    });
    const adjust = (by) => async (event) => {
      const button = event.currentTarget;
      const saved = await act(button, null, () => api.post(`/products/${p.id}/stock`, { adjust: by, reason: 'dashboard' }));
      if (saved) update(saved);
    };
    const minus = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `One less ${p.name}`, disabled: p.stock <= 0, onclick: adjust(-1) }, '−');
    const plus = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `One more ${p.name}`, onclick: adjust(1) }, '+');
    input.addEventListener('change', async () => {
      // A row drawn again while this number was typed hands it to the new row's input, which
      // sets it against the version it shows (a removed input may still fire its change).
      if (input.dataset.replaced) return;
      const to = Number(input.value);
      if (!Number.isInteger(to) || to < 0) {
        toast('Stock must be a whole number, 0 or more.', 'error');
        input.value = String(p.stock);
        return;
      }
      const saved = await act(null, null, () => api.post(`/products/${p.id}/stock`, { set: to, version: p.version }), `${p.name}: ${to} in stock`);
      if (saved) update(saved);
      else input.value = String(rows.get(p.id)?.product.stock ?? p.stock);
    });
    input.addEventListener('keydown', (event) => {
      // Enter sets a number handed over from a row drawn again (no change event follows a
      // value set by the page).
      if (event.key === 'Enter' && input.dataset.handedOver && input.value !== String(p.stock)) {
        delete input.dataset.handedOver;
        input.dispatchEvent(new Event('change'));
      }
    });
    return h('div', { class: 'stepper' }, minus, input, plus);
  }

  function visibleCell(p) {
    const box = h('input', {
      type: 'checkbox', role: 'switch', checked: p.visible, disabled: !change,
      'aria-label': `Show ${p.name} on Discord`,
    });
    box.addEventListener('change', async () => {
      const saved = await act(null, null, () => api.put(`/products/${p.id}/visible`, { visible: box.checked }),
        `${p.name} ${box.checked ? 'shown' : 'hidden'} on Discord`);
      if (saved) update(saved);
      else box.checked = !box.checked;
    });
    return h('label', { class: 'switch' }, box, h('span', { class: 'switch-word' }, p.visible ? 'Shown' : 'Hidden'));
  }

  function row(p) {
    const del = manage ? h('button', { class: 'btn btn-small btn-danger', type: 'button' }, 'Delete') : null;
    del?.addEventListener('click', async () => {
      if (!await confirmAction({ title: `Delete ${p.name}?`, body: 'It disappears from Discord too.', confirm: 'Delete product' })) return;
      if (await act(del, 'Deleting…', () => api.del(`/products/${p.id}`).then(() => true), `${p.name} deleted`)) remove(p.id);
    });
    return h('tr', { class: [`row-${p.availability}`, p.visible ? null : 'row-hidden'], dataset: { sku: p.sku } },
      h('td', {}, h('strong', {}, p.name), h('div', { class: 'muted' }, p.sku)),
      h('td', { class: 'num' }, price(p)),
      h('td', {}, stockCell(p)),
      h('td', {}, availability(p)),
      h('td', {}, visibleCell(p)),
      h('td', { class: 'nowrap' }, timeEl(p.updated_at)),
      manage ? h('td', {}, del) : null);
  }

  function update(p) {
    const known = rows.get(p.id);
    // An older message than what we show, or the same version again (our own change echoed by
    // the live feed): drawing it again would only throw away what someone is typing.
    if (known && known.product.version >= p.version) return;
    if (!known && pages.more()) {
      // A product past the loaded pages comes with "Load more".
      if (lastLoaded && before(lastLoaded, p) < 0) return;
    }
    // A number being typed in this row survives the row being drawn again (our own + or − coming
    // back, or a change made elsewhere): Enter then sets it against the version now shown.
    const typed = known?.tr.querySelector('.stock-input');
    const focused = typed && document.activeElement === typed;
    const editing = focused && typed.value !== String(known.product.stock) ? typed.value : null;
    if (typed) typed.dataset.replaced = 'yes';
    const tr = row(p);
    if (known) known.tr.replaceWith(tr);
    else tbody.append(tr);
    rows.set(p.id, { tr, product: p });
    if (focused) {
      const input = tr.querySelector('.stock-input');
      if (editing !== null) {
        input.value = editing;
        input.dataset.handedOver = 'yes';
      }
      input.focus();
    }
    if (rows.size === 1) draw();
  }

  function remove(id) {
    rows.get(id)?.tr.remove();
    rows.delete(id);
    if (rows.size === 0) draw();
  }

  function draw() {
    if (rows.size === 0) {
      replace(slot, empty(manage ? 'No products yet — add one below or import a CSV.' : 'No products yet.'));
      return;
    }
    replace(slot, h('div', { class: 'table-wrap' }, h('table', { class: 'stock-table' },
      h('thead', {}, h('tr', {}, ['Product', 'Price', 'Stock', 'Availability', 'On Discord', 'Updated', manage ? 'Actions' : null]
        .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
      tbody)));
  }

  async function load() {
    try {
      await pages.first();
    } catch (err) {
      replace(slot, failed(err, load));
    }
    try {
      const bots = await api.get('/bots');
      const showing = bots.items.filter((b) => b.stock_channel_id);
      replace(channels, showing.length
        ? `The stock message is kept current in: ${showing.map((b) => `#${b.stock_channel_id} (${b.name})`).join(', ')}.`
        : 'No bot has a stock channel yet: set one on a bot\'s page to show this list on Discord.');
      const low = bots.items.filter((b) => b.low_stock_channel_id);
      if (low.length) channels.append(` Low-stock notices go to: ${low.map((b) => `#${b.low_stock_channel_id} (${b.name})`).join(', ')}.`);
    } catch {
      replace(channels, '');
    }
  }

  function addForm() {
    const form = h('form', { class: 'form card section', novalidate: true },
      h('h2', {}, 'Add a product'),
      h('div', { class: 'row-fields' },
        field({ label: 'SKU', name: 'sku', hint: 'Letters, digits, - _ .', autocapitalize: 'characters' }),
        field({ label: 'Name', name: 'name' })),
      h('div', { class: 'row-fields' },
        field({ label: 'Price (cents)', name: 'price_minor', type: 'number', min: '0', step: '1', hint: '1999 = 19.99' }),
        field({ label: 'Currency', name: 'currency', value: 'EUR', maxlength: '3' }),
        field({ label: 'Stock', name: 'stock', type: 'number', min: '0', step: '1', value: '0' }),
        field({ label: 'Low at', name: 'low_stock_threshold', type: 'number', min: '0', step: '1', value: '5',
          hint: 'At or below: low. Bots with a low-stock channel post once when the stock falls to it.' })),
      h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Add product')));
    onSubmit(form, 'Adding…', async (data) => {
      const number = (k) => (data.get(k) === '' ? NaN : Number(data.get(k)));
      const p = await api.post('/products', {
        sku: data.get('sku').trim(), name: data.get('name').trim(), currency: data.get('currency').trim(),
        price_minor: number('price_minor'), stock: number('stock'), low_stock_threshold: number('low_stock_threshold'),
      });
      toast(`${p.name} added`);
      form.reset();
      update(p);
    });
    return form;
  }

  function importButton() {
    const input = h('input', { type: 'file', accept: '.csv,text/csv', class: 'visually-hidden', 'aria-label': 'CSV file to import' });
    const button = h('button', { class: 'btn', type: 'button', onclick: () => input.click() }, 'Import CSV');
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      input.value = '';
      if (!file) return;
      const text = await file.text();
      const send = (dry) => fetch(`/api/v1/products/import?dry_run=${dry}`, {
        method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'text/csv' }, body: text,
      }).then(async (r) => {
        const body = await r.json().catch(() => null);
        if (!r.ok) {
          const e = body?.error ?? {};
          const lines = (e.fields ?? []).slice(0, 8).map((f) => `${f.field}: ${f.message}`).join('; ');
          throw new Error(lines ? `${e.message ?? 'Import refused'} — ${lines}` : e.message ?? `Import refused (${r.status})`);
        }
        return body;
      });
      const report = await act(button, 'Checking…', () => send(true));
      if (!report) return;
      const summary = `${report.created} new, ${report.updated} changed, ${report.unchanged} unchanged`;
      if (report.created + report.updated === 0) {
        toast(`Nothing to import: ${summary}`);
        return;
      }
      if (!await confirmAction({ title: 'Import this file?', body: summary, confirm: 'Import', danger: false })) return;
      if (await act(button, 'Importing…', () => send(false), `Imported: ${summary}`)) load();
    });
    return h('span', {}, button, input);
  }

  const off = live.onMessage((m) => {
    if (m.type === 'stock') {
      if (m.deleted) remove(m.product.id);
      else update(m.product);
    } else if (m.type === 'resync') {
      load();
    }
  });
  live.subscribe(['stock']);
  load();
  return () => off();
}
