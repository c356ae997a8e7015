import type { Client } from '@trail/sdk-core';

/**
 * A page view on load and on every SPA route change: pushState, replaceState, back/forward and hash
 * changes. The same URL twice in a row counts once (frameworks often replace the state they pushed).
 */
export function capturePages(client: Client): void {
  let last = '';
  const view = () => {
    if (location.href === last) return;
    last = location.href;
    client.page(document.title);
  };
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      view();
    };
  }
  addEventListener('popstate', view);
  addEventListener('hashchange', view);
  view();
}
