/** A field's error, said next to it: a note under the field that the field names (aria-describedby), the field
 * marked invalid. One note per field, so a problem said while typing and again on the button reads once. */
import { h } from './dom.js';

/** Say `message` under `input` (or after `anchor`, when the field sits in a row), in the field's one note. */
export function fieldError(input, message, anchor = input) {
  const id = `${input.id}-error`;
  let note = document.getElementById(id);
  if (!note) {
    note = h('p', { id, class: 'field-error' });
    anchor.after(note);
  }
  note.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', id);
}

/** A typed amount's problem, said while it is typed: in the field's own note (read out at once), so a later tap
 * on the button says it in the same place, once; ``message`` null clears it. */
export function liveFieldError(input, message, anchor = input) {
  const id = `${input.id}-error`;
  if (message) {
    fieldError(input, message, anchor);
    document.getElementById(id).setAttribute('role', 'alert');
    return;
  }
  document.getElementById(id)?.remove();
  input.removeAttribute('aria-invalid');
  input.removeAttribute('aria-describedby');
}

/** Clear every field's note in `form` (before checking it again). */
export function clearErrors(form) {
  for (const note of form.querySelectorAll('.field-error')) note.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
  }
}

