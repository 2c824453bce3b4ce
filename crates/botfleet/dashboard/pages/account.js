// Your account: change your password, and turn two-factor sign-in on (QR code, then the first
// code; the recovery codes are shown once) or off. An admin who must enrol first lands here.

import { api } from '../api.js';
import { h, replace, field, onSubmit, toast } from '../ui.js';

export function mount(main, { me }) {
  const user = me.user;
  if (!user) {
    replace(main, h('h1', {}, 'Your account'), h('p', {}, `You are using the API key "${me.name}"; it has no account to change.`));
    return;
  }
  const password = h('form', { class: 'form', novalidate: true },
    h('h2', {}, 'Change your password'),
    field({ label: 'Current password', name: 'current_password', type: 'password', autocomplete: 'current-password' }),
    field({ label: 'New password', name: 'new_password', type: 'password', autocomplete: 'new-password', hint: '10 to 256 characters. Your other sessions end.' }),
    h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Change password')));
  onSubmit(password, 'Changing…', async (data) => {
    await api.post('/auth/password', { current_password: data.get('current_password'), new_password: data.get('new_password') });
    password.reset();
    toast('Password changed; your other sessions have ended.');
  });

  const totp = h('section', { class: 'card', 'aria-labelledby': 'totp-h' });
  let enabled = user.totp_enabled;

  function drawTotp() {
    if (enabled) {
      const off = h('form', { class: 'form', novalidate: true },
        h('p', {}, statusOn(), ' Signing in asks for a code from your authenticator app.'),
        field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password', hint: 'Needed to turn two-factor off.' }),
        h('div', { class: 'actions' }, h('button', { class: 'btn btn-danger', type: 'submit' }, 'Turn off two-factor')));
      onSubmit(off, 'Turning off…', async (data) => {
        await api.del('/auth/totp', { password: data.get('password') });
        enabled = false;
        toast('Two-factor is off.');
        drawTotp();
      });
      replace(totp, h('h2', { id: 'totp-h' }, 'Two-factor sign-in'), off);
      return;
    }
    const start = h('button', { class: 'btn btn-primary', type: 'button' }, 'Set up two-factor');
    replace(totp, h('h2', { id: 'totp-h' }, 'Two-factor sign-in'),
      h('p', {}, 'Off. With it on, signing in also asks for a six-digit code from an authenticator app.'),
      start);
    start.addEventListener('click', async () => {
      start.disabled = true;
      try {
        enrol(await api.post('/auth/totp'));
      } catch (err) {
        toast(err.message, 'error');
        start.disabled = false;
      }
    });
  }

  function enrol(enrolment) {
    const confirm = h('form', { class: 'form', novalidate: true },
      h('p', {}, 'Scan this with your authenticator app, or type the secret into it, then enter the code it shows.'),
      h('img', { class: 'qr', src: enrolment.qr_svg, alt: 'QR code for your authenticator app' }),
      h('p', {}, 'Secret: ', h('code', {}, enrolment.secret)),
      field({ label: 'Code from the app', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6' }),
      h('div', { class: 'actions' }, h('button', { class: 'btn btn-primary', type: 'submit' }, 'Turn on')));
    onSubmit(confirm, 'Checking…', async (data) => {
      const result = await api.post('/auth/totp/confirm', { code: data.get('code').trim() });
      enabled = true;
      const done = h('button', { class: 'btn', type: 'button' }, 'I have saved them');
      replace(totp, h('h2', { id: 'totp-h' }, 'Two-factor sign-in'),
        h('div', { class: 'banner banner-ok', role: 'status' },
          h('p', {}, h('strong', {}, 'Two-factor is on. '), 'Save these recovery codes somewhere safe: each signs you in once if you lose your phone. They are not shown again.'),
          h('ul', { class: 'codes' }, result.recovery_codes.map((c) => h('li', {}, c))),
          done));
      done.addEventListener('click', drawTotp);
      done.focus();
    });
    replace(totp, h('h2', { id: 'totp-h' }, 'Two-factor sign-in'), confirm);
    confirm.elements.code.focus();
  }

  const statusOn = () => h('span', { class: 'status status-ok' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'On.');

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Your account')),
    me.must_enrol_totp ? h('div', { class: 'banner banner-warn', role: 'alert' }, 'Admins must use two-factor sign-in here. Set it up below to use the rest of the dashboard, then sign in again.') : null,
    h('p', { class: 'muted' }, `Signed in as ${user.username} (${user.role}).`),
    h('div', { class: 'grid-2' }, h('section', { class: 'card' }, password), totp));
  drawTotp();
}
