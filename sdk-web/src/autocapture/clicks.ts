import { type Client, datasetProps } from '@trail/sdk-core';

const TARGETS = 'a,button,[data-track],[role=button],input[type=submit]';

/**
 * Clicks on links, buttons and `[data-track]` elements, through one listener on the document.
 * `data-track="Name"` names the event; `data-track-*` attributes become its properties.
 */
export function captureClicks(client: Client): void {
  document.addEventListener(
    'click',
    (ev) => {
      // A click's target is always an element (text nodes never receive it).
      const el = (ev.target as Element).closest<HTMLElement>(TARGETS);
      if (!el) return;
      // What a visitor types or chooses stays theirs: no text from a field, a list of options or
      // anything editable (nor the address of a link typed into it). A button's value is its label,
      // written by the site; any other input's value is the visitor's.
      const typed =
        el.isContentEditable || el.querySelector('[contenteditable]') || el.matches('textarea,select,option');
      client.track(el.dataset.track || 'Element Clicked', {
        text: typed
          ? ''
          : (
              el.innerText ||
              (/^(submit|button|reset|image)$/.test((el as HTMLInputElement).type) &&
                (el as HTMLInputElement).value) ||
              ''
            )
              .trim()
              .slice(0, 100),
        // The element as a short selector (tag, id, first two classes): enough to tell clicks apart.
        // Written inline: a helper function costs bytes in the bundle.
        selector:
          el.tagName.toLowerCase() +
          (el.id ? `#${el.id}` : '') +
          [...el.classList]
            .slice(0, 2)
            .map((c) => `.${c}`)
            .join(''),
        href: typed ? undefined : (el as HTMLAnchorElement).href,
        ...datasetProps(el.dataset),
      });
    },
    true,
  );
}
