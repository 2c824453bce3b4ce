// A table of things an admin manages (the alert rules, channels and maintenance windows): the
// table with its head, and a row's "Edit" and "Delete" buttons, each named after its row for
// screen readers; "Delete" asks first, then deletes with the button pending and says so.

import { api } from '../api.js';
import { h, act, confirmAction } from '../ui.js';

/** The table: one header cell per column (a null column is left out, e.g. "Actions" for viewers). */
export function table(columns, rows) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, columns.filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}

/** A row's "Edit" button for the thing called `name`. */
export function editButton(name, onEdit) {
  const button = h('button', { class: 'btn btn-small', type: 'button', 'aria-label': `Edit ${name}` }, 'Edit');
  button.addEventListener('click', onEdit);
  return button;
}

/**
 * A row's "Delete" button for the `what` (rule, channel, window) called `name`: asks first (with
 * `body` saying what follows, when given), DELETEs `path`, then calls `done` once it is gone.
 */
export function deleteButton(name, { what, path, body }, done) {
  const button = h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': `Delete ${name}` }, 'Delete');
  button.addEventListener('click', async () => {
    if (!await confirmAction({ title: `Delete the ${what} "${name}"?`, body, confirm: `Delete ${what}` })) return;
    if (await act(button, 'Deleting…', () => api.del(path).then(() => true), `${name} deleted`)) done();
  });
  return button;
}
