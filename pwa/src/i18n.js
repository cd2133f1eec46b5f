// Every word the volunteer app shows, French first, English too. Keys are stable; `{name}` placeholders are
// filled by t(). Elements of the shell name their key in data-i18n (text) or data-i18n-label (aria-label).

export const STRINGS = {
  fr: {
    'app.title': 'Comptoir — bénévoles',
    'app.loading': 'Chargement…',
    'app.offline': 'Hors ligne : tout continue de fonctionner sur ce téléphone.',
    'app.online': 'En ligne.',
    'app.network_needed': 'Il faut du réseau pour cela. Réessayez quand le téléphone est en ligne.',
    'app.error': 'Quelque chose n’a pas fonctionné : {message}',

    'unenrolled.title': 'Téléphone non enregistré',
    'unenrolled.text':
      'Ce téléphone n’est pas encore enregistré. Demandez à un·e coordinateur·rice le QR code d’enregistrement et scannez-le.',
    'enrol.working': 'Enregistrement du téléphone…',
    'enrol.done': 'Téléphone enregistré : {name}.',
    'enrol.already': 'Ce téléphone est déjà enregistré comme « {name} ». Le nouveau code n’a pas été utilisé.',

    'revoked.title': 'Téléphone révoqué',
    'revoked.text':
      'Ce téléphone a été révoqué par un·e coordinateur·rice : il ne peut plus rien envoyer ni recevoir. Ce qu’il a déjà envoyé est conservé. Demandez à un·e coordinateur·rice de l’enregistrer à nouveau.',

    'home.device': 'Téléphone : {name}',
    'home.points': 'Lieux : {points}',
    'home.current': 'Bénévole : {name}',
    'home.current_until': 'Connecté·e jusqu’à {time}.',
    'home.nobody': 'Personne n’est connecté·e sur ce téléphone.',
    'home.volunteers': 'Bénévoles connecté·es sur ce téléphone',
    'home.none_signed_in': 'Aucun·e pour l’instant.',
    'home.you': 'en cours',
    'home.locked': 'verrouillé : se reconnecter avec sa clé d’accès',
    'home.expired': 'session terminée : se reconnecter avec sa clé d’accès',
    'home.switch': 'Passer à {name}',
    'home.sign_in': 'Se connecter avec ma clé d’accès',
    'home.add': 'Ajouter un·e bénévole',
    'home.sign_out': 'Déconnecter {name}',

    'sign_in.title': 'Se connecter',
    'sign_in.intro':
      'Choisissez un code de 4 à 6 chiffres : il sert à reprendre la main sur ce téléphone, même hors ligne, quand plusieurs bénévoles le partagent.',
    'sign_in.pin': 'Code (4 à 6 chiffres)',
    'sign_in.pin_confirm': 'Confirmer le code',
    'sign_in.email': 'E-mail (facultatif)',
    'sign_in.email_help': 'Seulement si plusieurs clés d’accès sont enregistrées sur ce téléphone.',
    'sign_in.submit': 'Se connecter avec ma clé d’accès',
    'sign_in.cancel': 'Annuler',
    'sign_in.working': 'Vérification de la clé d’accès…',
    'sign_in.done': 'Bonjour {name} !',
    'sign_in.pin_invalid': 'Le code doit faire de 4 à 6 chiffres.',
    'sign_in.pin_mismatch': 'Les deux codes ne sont pas identiques.',
    'sign_in.cancelled': 'Connexion annulée.',

    'pin.title': 'Code de {name}',
    'pin.label': 'Code',
    'pin.submit': 'Valider',
    'pin.cancel': 'Annuler',
    'pin.wrong': 'Code incorrect. Encore {left} essai(s).',
    'pin.locked': 'Code incorrect 5 fois : {name} doit se reconnecter avec sa clé d’accès.',
    'pin.switched': '{name} a repris la main.',

    'sign_out.done': '{name} est déconnecté·e.',

    'reason.device_revoked':
      'Ce téléphone a été révoqué par un·e coordinateur·rice : il ne peut plus rien envoyer ni recevoir. Ce qu’il a déjà envoyé est conservé.',
    'reason.device_unknown': 'Le serveur ne connaît pas ce téléphone. Demandez à le réenregistrer.',
    'reason.device_credential_missing': 'Ce téléphone n’est pas enregistré.',
    'reason.enrolment_unknown': 'Ce code d’enregistrement n’est pas valable. Demandez un nouveau QR code.',
    'reason.enrolment_expired': 'Ce code d’enregistrement a expiré. Demandez un nouveau QR code.',
    'reason.enrolment_used': 'Ce code d’enregistrement a déjà servi. Demandez un nouveau QR code.',
    'reason.forbidden_point':
      'Vous ne pouvez pas agir dans les lieux de ce téléphone. Demandez à un·e coordinateur·rice de vous y ajouter.',
    'reason.user_inactive': 'Ce compte est désactivé. Demandez à un·e coordinateur·rice.',
    'reason.shift_expired': 'La session a pris fin à minuit. Reconnectez-vous avec votre clé d’accès.',
    'reason.shift_ended': 'La session est terminée. Reconnectez-vous avec votre clé d’accès.',
    'reason.passkey': 'La clé d’accès n’a pas été acceptée. Réessayez.',
    'reason.passkey_cancelled': 'La clé d’accès n’a pas été utilisée. Réessayez.',
  },
  en: {
    'app.title': 'Comptoir — volunteers',
    'app.loading': 'Loading…',
    'app.offline': 'Offline: everything keeps working on this phone.',
    'app.online': 'Online.',
    'app.network_needed': 'This needs a network. Try again when the phone is online.',
    'app.error': 'Something went wrong: {message}',

    'unenrolled.title': 'Phone not enrolled',
    'unenrolled.text': 'This phone is not enrolled yet. Ask a coordinator for the enrolment QR code and scan it.',
    'enrol.working': 'Enrolling this phone…',
    'enrol.done': 'Phone enrolled: {name}.',
    'enrol.already': 'This phone is already enrolled as “{name}”. The new code was not used.',

    'revoked.title': 'Phone revoked',
    'revoked.text':
      'This phone was revoked by a coordinator: it can no longer send or receive anything. What it sent before is kept. Ask a coordinator to enrol it again.',

    'home.device': 'Phone: {name}',
    'home.points': 'Points: {points}',
    'home.current': 'Volunteer: {name}',
    'home.current_until': 'Signed in until {time}.',
    'home.nobody': 'Nobody is signed in on this phone.',
    'home.volunteers': 'Volunteers signed in on this phone',
    'home.none_signed_in': 'None yet.',
    'home.you': 'current',
    'home.locked': 'locked: sign in again with the passkey',
    'home.expired': 'ended: sign in again with the passkey',
    'home.switch': 'Switch to {name}',
    'home.sign_in': 'Sign in with my passkey',
    'home.add': 'Add a volunteer',
    'home.sign_out': 'Sign {name} out',

    'sign_in.title': 'Sign in',
    'sign_in.intro':
      'Choose a code of 4 to 6 digits: it lets you take the phone back, even offline, when several volunteers share it.',
    'sign_in.pin': 'Code (4 to 6 digits)',
    'sign_in.pin_confirm': 'Confirm the code',
    'sign_in.email': 'E-mail (optional)',
    'sign_in.email_help': 'Only if several passkeys are registered on this phone.',
    'sign_in.submit': 'Sign in with my passkey',
    'sign_in.cancel': 'Cancel',
    'sign_in.working': 'Checking the passkey…',
    'sign_in.done': 'Hello {name}!',
    'sign_in.pin_invalid': 'The code must have 4 to 6 digits.',
    'sign_in.pin_mismatch': 'The two codes are not the same.',
    'sign_in.cancelled': 'Sign-in cancelled.',

    'pin.title': 'Code of {name}',
    'pin.label': 'Code',
    'pin.submit': 'OK',
    'pin.cancel': 'Cancel',
    'pin.wrong': 'Wrong code. {left} attempt(s) left.',
    'pin.locked': 'Wrong code 5 times: {name} must sign in again with their passkey.',
    'pin.switched': '{name} took the phone back.',

    'sign_out.done': '{name} is signed out.',

    'reason.device_revoked':
      'This phone was revoked by a coordinator: it can no longer send or receive anything. What it sent before is kept.',
    'reason.device_unknown': 'The server does not know this phone. Ask for it to be enrolled again.',
    'reason.device_credential_missing': 'This phone is not enrolled.',
    'reason.enrolment_unknown': 'This enrolment code is not valid. Ask for a new QR code.',
    'reason.enrolment_expired': 'This enrolment code has expired. Ask for a new QR code.',
    'reason.enrolment_used': 'This enrolment code was already used. Ask for a new QR code.',
    'reason.forbidden_point': 'You may not act at this phone’s points. Ask a coordinator to add you to them.',
    'reason.user_inactive': 'This account is deactivated. Ask a coordinator.',
    'reason.shift_expired': 'The session ended at midnight. Sign in again with your passkey.',
    'reason.shift_ended': 'The session has ended. Sign in again with your passkey.',
    'reason.passkey': 'The passkey was not accepted. Try again.',
    'reason.passkey_cancelled': 'The passkey was not used. Try again.',
  },
};

export const LANGUAGES = Object.keys(STRINGS);

function pickLanguage() {
  try {
    const chosen = localStorage.getItem('comptoir.lang');
    if (LANGUAGES.includes(chosen)) return chosen;
  } catch {
    // storage may be unavailable (private mode): fall through
  }
  for (const tag of navigator.languages || [navigator.language || 'fr']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'fr';
}

export const lang = pickLanguage();

/** The text for `key` in the chosen language, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The words for an API refusal's `reason` (the app branches on reasons, never on the server's English). */
export function reasonText(reason, fallback) {
  if (reason && reason.startsWith('passkey_')) return t('reason.passkey');
  const key = `reason.${reason}`;
  return key in STRINGS[lang] ? t(key) : t('app.error', { message: fallback || reason });
}

/** Fill the shell's `data-i18n` (text) and `data-i18n-label` (aria-label) elements. */
export function applyTranslations(root = document) {
  document.documentElement.lang = lang;
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-label]')) {
    element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  }
  document.title = t('app.title');
}
