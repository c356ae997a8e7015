import type { Client } from '@trail/sdk-core';

/**
 * A page view on load, on every SPA route change (pushState, replaceState, back/forward, hash
 * changes) and on a restore from the back/forward cache; a prerendered page counts only once it is
 * shown. The same URL twice in a row counts once (frameworks often replace the state they pushed).
 */
export function capturePages(client: Client): void {
  let last = '';
  let title: string;
  const view = () => {
    if ((document as { prerendering?: boolean }).prerendering || location.href === last) return;
    last = location.href;
    client.page((title = document.title));
  };
  // Routers often set the title after the URL: a route's view waits for the title to change or for
  // the next frame to pass, and at most a second where no frame runs (a hidden tab).
  const routed = () => {
    requestAnimationFrame(() => setTimeout(view));
    setTimeout(view, 1000);
  };
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      routed();
    };
  }
  addEventListener('popstate', routed);
  addEventListener('hashchange', routed);
  new MutationObserver(() => document.title !== title && view()).observe(document.head, {
    subtree: true,
    childList: true,
  });
  // The visitor sees the page again, or for the first time.
  addEventListener('pageshow', (e) => e.persisted && ((last = ''), view()));
  document.addEventListener('prerenderingchange', view);
  view();
}
