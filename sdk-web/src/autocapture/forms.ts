import type { Client } from '@trail/sdk-core';

/** Form submissions, with the form's id, name and action but never its field values. */
export function captureForms(client: Client): void {
  document.addEventListener(
    'submit',
    (ev) => {
      // Attributes, not properties: a field named `id`, `name` or `action` hides the form's own.
      const a = (name: string) => (ev.target as Element).getAttribute(name) ?? '';
      client.track('Form Submitted', {
        id: a('id'),
        name: a('name'),
        action: new URL(a('action'), document.baseURI).href,
      });
    },
    true,
  );
}
