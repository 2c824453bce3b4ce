// What the alert forms need beyond ui.js's field() and onSubmit(): a picker (a <select> of bots
// or rules) refilled as they change without losing what was chosen, and a field error made in the
// page for a value the API could not even parse, shown like the API's own.

import { ApiError } from '../api.js';
import { h, replace } from '../ui.js';

/** Refills `select` with `first` (value '') and `items` as [value, text], keeping its choice. */
export function fillSelect(select, first, items) {
  const chosen = select.value;
  replace(select, h('option', { value: '' }, first), items.map(([v, t]) => h('option', { value: v }, t)));
  select.value = chosen;
}

/** A 422-shaped error made in the page, so a value the API could not even parse is shown like the API's own errors. */
export const invalid = (fields) => new ApiError(422, 'validation', 'Some values need fixing.', fields);
