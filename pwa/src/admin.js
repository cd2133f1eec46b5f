// Scripts of the server-rendered pages: passkey sign-in, registration (invitation) and management; print buttons.
// Controls are found by data attributes; messages come from the page (translated on the server), or from the
// server's JSON error (already in the page's language). The server branches on nothing here but its own reasons.
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';

const alertBox = document.querySelector('[data-passkey-error]');

function showError(message) {
  if (!alertBox) return;
  alertBox.textContent = message;
  alertBox.hidden = false;
}

function clearError() {
  if (alertBox) alertBox.hidden = true;
}

function message(key) {
  return alertBox?.dataset[`msg${key[0].toUpperCase()}${key.slice(1)}`] ?? key;
}

class Refused extends Error {}

async function postJSON(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-CSRFToken': document.querySelector('meta[name="csrf-token"]')?.content ?? '',
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Refused(message('network'));
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Refused(data?.error?.message || message('failed'));
  return data;
}

function browserMessage(error) {
  if (error instanceof Refused) return error.message;
  if (error?.name === 'NotAllowedError' || error?.name === 'AbortError') return message('cancelled');
  if (error?.name === 'InvalidStateError') return message('exists');
  return message('failed');
}

function buttonOf(control) {
  return control instanceof HTMLFormElement ? control.querySelector('button[type="submit"]') : control;
}

// Runs one ceremony from a control: options from the server, the authenticator, the answer back, then go on.
async function run(control, ceremony) {
  const button = buttonOf(control);
  clearError();
  button?.setAttribute('aria-busy', 'true');
  if (button) button.disabled = true;
  try {
    const target = await ceremony();
    window.location.assign(target);
  } catch (error) {
    showError(browserMessage(error));
    button?.removeAttribute('aria-busy');
    if (button) button.disabled = false;
  }
}

function signIn(control, extra) {
  return run(control, async () => {
    const { ceremony, options } = await postJSON(control.dataset.optionsUrl, extra());
    const credential = await startAuthentication({ optionsJSON: options });
    const result = await postJSON(control.dataset.verifyUrl, {
      ceremony,
      credential,
      next: control.dataset.next || undefined,
    });
    return result.redirect;
  });
}

function register(control, name) {
  return run(control, async () => {
    const { ceremony, options } = await postJSON(control.dataset.optionsUrl, {});
    const credential = await startRegistration({ optionsJSON: options });
    const result = await postJSON(control.dataset.verifyUrl, { ceremony, credential, name: name() });
    return result.redirect;
  });
}

const controls = document.querySelectorAll(
  '[data-passkey-sign-in], [data-passkey-email], [data-passkey-register], [data-passkey-add]',
);
const supported = browserSupportsWebAuthn();
if (controls.length && !supported) {
  showError(message('unsupported'));
}

for (const control of controls) {
  if ('passkeySignIn' in control.dataset) {
    control.addEventListener('click', () => signIn(control, () => ({})));
  } else if ('passkeyEmail' in control.dataset) {
    control.addEventListener('submit', (event) => {
      event.preventDefault();
      const email = control.elements.email.value.trim();
      if (!email) {
        control.elements.email.focus();
        return;
      }
      signIn(control, () => ({ email }));
    });
  } else if ('passkeyRegister' in control.dataset) {
    control.addEventListener('click', () => register(control, () => undefined));
  } else if ('passkeyAdd' in control.dataset) {
    control.addEventListener('submit', (event) => {
      event.preventDefault();
      register(control, () => control.elements.name.value.trim() || undefined);
    });
  }
  // The page renders these buttons disabled: a tap before this script has run would do nothing at all.
  const button = buttonOf(control);
  if (button && supported) button.disabled = false;
}

for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print());
}
