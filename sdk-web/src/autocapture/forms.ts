import type { Client } from '@trail/sdk-core';

/** Form submissions, with the form's id, name and action but never its field values. */
export function captureForms(client: Client): void {
  document.addEventListener(
    'submit',
    (ev) => {
      const f = ev.target as HTMLFormElement;
      client.track('Form Submitted', { id: f.id, name: f.getAttribute('name') ?? '', action: f.action });
    },
    true,
  );
}
