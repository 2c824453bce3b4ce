// Small DOM helpers every page shares: building elements without innerHTML (no markup injection
// from data), toasts, the one confirm dialog, pending buttons, status badges, field errors, and
// the empty / loading / error states, so every page looks and behaves the same.

/** Builds an element: h('button', {class: 'btn', onclick}, 'Start'). Children may be nested arrays, null or strings. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let nextId = 0;
/** A unique id for label/aria wiring. */
export const uid = (prefix = 'f') => `${prefix}-${++nextId}`;

// ---- toasts ---------------------------------------------------------------------------------

/** Shows a short message at the corner; errors stay longer and are announced assertively. */
export function toast(message, kind = 'ok') {
  const region = document.getElementById(kind === 'error' ? 'toasts-alert' : 'toasts');
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, '×');
  const item = h('div', { class: ['toast', `toast-${kind}`] }, h('span', {}, message), close);
  const remove = () => item.remove();
  close.addEventListener('click', remove);
  region.append(item);
  setTimeout(remove, kind === 'error' ? 10000 : 4000);
  return item;
}

// ---- confirm --------------------------------------------------------------------------------

/** Asks once before a destructive action. Resolves true when confirmed. */
export function confirmAction({ title, body, confirm = 'Confirm', danger = true }) {
  return new Promise((resolve) => {
    const ok = h('button', { class: ['btn', danger ? 'btn-danger' : 'btn-primary'], type: 'submit', value: 'ok' }, confirm);
    const cancel = h('button', { class: 'btn', type: 'submit', value: 'cancel' }, 'Cancel');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'dialog-title' }, title),
        body ? h('p', {}, body) : null,
        h('div', { class: 'actions' }, cancel, ok)));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A modal with arbitrary content; returns {dialog, close}. The content's form closes it itself. */
export function modal(title, ...content) {
  const closeBtn = h('button', { class: 'btn btn-quiet dialog-x', type: 'button', 'aria-label': 'Close' }, '×');
  const dialog = h('dialog', { class: 'dialog', 'aria-label': title }, closeBtn, h('h2', {}, title), content);
  const close = () => dialog.close();
  closeBtn.addEventListener('click', close);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

// ---- buttons and actions --------------------------------------------------------------------

/**
 * Runs an async action with the button pending (disabled, busy, its label changed), then shows
 * the result as a toast: `success` (a string or a function of the result) or the server's message.
 * Resolves with the result, or undefined when it failed.
 */
/** Whether a power action can act on a bot in `status`: Start on a bot that is not running, Stop on one that is not stopped; Restart always. */
export function powerAllowed(action, status) {
  if (action === 'start') return status === 'stopped' || status === 'failed';
  if (action === 'stop') return status !== 'stopped';
  return true;
}

/** Enables or disables a bot's power buttons ({action: button}) for its status, saying why on the disabled ones. */
export function setPowerButtons(buttons, status) {
  for (const [action, b] of Object.entries(buttons)) {
    const ok = powerAllowed(action, status);
    b.dataset.blocked = ok ? '' : 'true';
    if (!b.classList.contains('pending')) b.disabled = !ok;
    b.title = ok ? '' : action === 'start' ? `Already ${status}` : 'Already stopped';
  }
}

export async function act(button, pendingLabel, fn, success) {
  const label = button?.textContent;
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.classList.add('pending');
    if (pendingLabel) button.textContent = pendingLabel;
  }
  try {
    const result = await fn();
    const text = typeof success === 'function' ? success(result) : success;
    if (text) toast(text, 'ok');
    return result;
  } catch (err) {
    if (!err?.signedOut) toast(errorText(err), 'error');
    return undefined;
  } finally {
    if (button) {
      // A button the bot's status disables (setPowerButtons) stays disabled.
      button.disabled = button.dataset.blocked === 'true';
      button.removeAttribute('aria-busy');
      button.classList.remove('pending');
      if (pendingLabel) button.textContent = label;
    }
  }
}

/** The words to show for a failure: the server's message, or a plain fallback. */
export function errorText(err) {
  if (!err) return 'Something went wrong.';
  return err.message || String(err);
}

// ---- status ---------------------------------------------------------------------------------

const STATUS_WORDS = {
  running: 'Running', starting: 'Starting', reconnecting: 'Reconnecting', stopped: 'Stopped', failed: 'Failed',
  ok: 'OK', error: 'Error', pass: 'Pass', fail: 'Fail', denied: 'Denied', expired: 'Expired', info: 'Info', warn: 'Warning',
};

/** A coloured dot with its word (colour is never the only signal). */
export function statusBadge(status, title) {
  return h('span', { class: ['status', `status-${status}`], title },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), STATUS_WORDS[status] ?? status);
}

// ---- states ---------------------------------------------------------------------------------

/** A loading placeholder that only becomes visible after a moment (no flash on fast loads). */
export const loading = (what = 'Loading…') => h('p', { class: 'state state-loading', role: 'status' }, what);

/** What to do next when a list is empty. */
export const empty = (text, ...actions) => h('div', { class: 'state state-empty' }, h('p', {}, text), actions);

/** A failed load, with the server's words and a retry. */
export function failed(err, retry) {
  return h('div', { class: 'state state-error', role: 'alert' },
    h('p', {}, `Could not load this: ${errorText(err)}`),
    retry ? h('button', { class: 'btn', type: 'button', onclick: retry }, 'Try again') : null);
}

// ---- forms ----------------------------------------------------------------------------------

/** A labelled input (or select / textarea with `tag`) with an optional hint; `name` is the API field. */
export function field({ label, name, tag = 'input', hint, options, ...attrs }) {
  const id = uid(name?.replace(/\W/g, '-') ?? 'f');
  const hintId = hint ? `${id}-hint` : null;
  let control;
  if (tag === 'select') {
    control = h('select', { id, name, 'aria-describedby': hintId, ...attrs },
      (options ?? []).map(([value, text]) => h('option', { value, selected: String(attrs.value) === String(value) }, text)));
  } else {
    control = h(tag, { id, name, 'aria-describedby': hintId, ...attrs });
    if (tag === 'textarea' && attrs.value !== undefined) control.value = attrs.value;
  }
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label), control, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

/** Clears a form's inline errors. */
export function clearErrors(form) {
  form.querySelectorAll('.field-error, .form-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

/**
 * Shows a failed request on its form: each `fields[]` entry next to the input of that name (API
 * names such as `anti_spam.max_commands`), the message on top, focus on the first bad input.
 */
export function showErrors(form, err) {
  clearErrors(form);
  const unmatched = [];
  let first = null;
  for (const f of err?.fields ?? []) {
    // `channel_ids[2]` belongs to the `channel_ids` input, and says which entry.
    const item = f.field.match(/^(.*)\[(\d+)\]$/);
    const box = form.querySelector(`[data-field="${CSS.escape(f.field)}"]`)
      ?? (item ? form.querySelector(`[data-field="${CSS.escape(item[1])}"]`) : null);
    if (!box) { unmatched.push(`${f.field}: ${f.message}`); continue; }
    const text = item && !box.matches(`[data-field="${CSS.escape(f.field)}"]`) ? `Entry ${Number(item[2]) + 1}: ${f.message}` : f.message;
    const control = box.querySelector('input, select, textarea');
    const id = uid('err');
    box.append(h('p', { class: 'field-error', id }, text));
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      const described = control.getAttribute('aria-describedby');
      control.setAttribute('aria-describedby', [described, id].filter(Boolean).join(' '));
      first ??= control;
    }
  }
  const message = [errorText(err), ...unmatched].join(' — ');
  form.prepend(h('p', { class: 'form-error', role: 'alert' }, message));
  (first ?? form.querySelector('input, select, textarea'))?.focus();
}

/** Submits a form through `fn` with its submit button pending and errors shown inline. */
export function onSubmit(form, pendingLabel, fn) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    clearErrors(form);
    const label = button?.textContent;
    if (button) { button.disabled = true; button.classList.add('pending'); button.setAttribute('aria-busy', 'true'); button.textContent = pendingLabel; }
    try {
      await fn(new FormData(form));
    } catch (err) {
      if (!err?.signedOut) showErrors(form, err);
    } finally {
      if (button) { button.disabled = false; button.classList.remove('pending'); button.removeAttribute('aria-busy'); button.textContent = label; }
    }
  });
  return form;
}

// ---- formatting -----------------------------------------------------------------------------

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A time of day for today's rows, with the date for older ones. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (Date.now() - d.getTime() < 20 * 3600e3 ? timeFmt : dateFmt).format(d);
}

/** A <time> element with the full date as its tooltip. */
export const timeEl = (iso) => h('time', { datetime: iso, title: iso ? new Date(iso).toLocaleString() : '' }, when(iso));

/** Milliseconds in a short, readable form. */
export function ms(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value < 10) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(1)} s`;
}

/** A whole number with the locale's separators. */
export const num = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString());

/** Debounces a function (the search boxes). */
export function debounce(fn, wait = 300) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), wait); };
}
