import type { Client } from '@trail/sdk-core';

const TARGETS = 'a,button,[data-track],[role=button],input[type=submit]';

/** The element as a short selector (tag, id, first two classes): enough to tell clicks apart. */
const selectorOf = (el: Element): string =>
  el.tagName.toLowerCase() +
  (el.id ? `#${el.id}` : '') +
  [...el.classList]
    .slice(0, 2)
    .map((c) => `.${c}`)
    .join('');

/**
 * Clicks on links, buttons and `[data-track]` elements, through one listener on the document.
 * `data-track="Name"` names the event; `data-track-*` attributes become its properties.
 */
export function captureClicks(client: Client): void {
  document.addEventListener(
    'click',
    (ev) => {
      const el = (ev.target as Element | null)?.closest?.(TARGETS);
      if (!el) return;
      const h = el as HTMLElement;
      const props: Record<string, string> = {
        text: (h.innerText || (h as HTMLInputElement).value || h.title || '').trim().slice(0, 100),
        selector: selectorOf(el),
      };
      const href = (el as HTMLAnchorElement).href;
      if (href) props.href = href;
      for (const [k, v] of Object.entries(h.dataset)) {
        if (k.startsWith('track') && k.length > 5) props[k.charAt(5).toLowerCase() + k.slice(6)] = v ?? '';
      }
      client.track(h.dataset.track || 'Element Clicked', props);
    },
    true,
  );
}
