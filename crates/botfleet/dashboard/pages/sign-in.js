// Sign-in: user name and password, then (for accounts with two-factor) the authenticator code or
// a recovery code. Wrong passwords, lockouts and throttling show the server's own words.

import { api } from '../api.js';
import { h, field, onSubmit, replace } from '../ui.js';

export function mount(root, { signedIn }) {
  const card = h('div', { class: 'signin-card' });
  replace(root, h('main', { class: 'signin', id: 'main' },
    h('div', { class: 'signin-brand' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◆'), 'botfleet'),
    card));
  passwordStep(card, signedIn);
}

function passwordStep(card, signedIn) {
  const form = h('form', { class: 'form', novalidate: true },
    h('h1', {}, 'Sign in'),
    field({ label: 'User name', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' }),
    field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Sign in'));
  onSubmit(form, 'Signing in…', async (data) => {
    const result = await api.post('/auth/login', { username: data.get('username'), password: data.get('password') });
    if (result.status === 'totp_required') totpStep(card, result.challenge, signedIn);
    else await signedIn();
  });
  replace(card, form);
  form.elements.username.focus();
}

function totpStep(card, challenge, signedIn) {
  let recovery = false;
  const codeField = () => (recovery
    ? field({ label: 'Recovery code', name: 'recovery_code', autocomplete: 'off', required: true, spellcheck: 'false', hint: 'One of the codes you saved when you turned on two-factor. Each works once.' })
    : field({ label: 'Six-digit code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]*', maxlength: '6', required: true, hint: 'From your authenticator app.' }));
  const slot = h('div', {}, codeField());
  const toggle = h('button', { class: 'btn btn-link', type: 'button' }, 'Use a recovery code instead');
  toggle.addEventListener('click', () => {
    recovery = !recovery;
    toggle.textContent = recovery ? 'Use the authenticator code instead' : 'Use a recovery code instead';
    replace(slot, codeField());
    slot.querySelector('input').focus();
  });
  const form = h('form', { class: 'form', novalidate: true },
    h('h1', {}, 'Two-factor check'),
    h('p', { class: 'muted' }, 'Your account has two-factor sign-in turned on.'),
    slot,
    h('button', { class: 'btn btn-primary btn-block', type: 'submit' }, 'Verify'),
    toggle,
    h('button', { class: 'btn btn-link', type: 'button', onclick: () => passwordStep(card, signedIn) }, 'Start again'));
  onSubmit(form, 'Checking…', async (data) => {
    const body = recovery
      ? { challenge, recovery_code: data.get('recovery_code').trim() }
      : { challenge, code: data.get('code').trim() };
    await api.post('/auth/login/totp', body);
    await signedIn();
  });
  replace(card, form);
  form.querySelector('input').focus();
}
