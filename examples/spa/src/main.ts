// The npm usage of the browser SDK in a tiny single-page app: three views, client routing with the
// History API. The SDK records a page view on load and on every pushState / back / forward itself.
import { createTrail } from '@trail/sdk-web';

const BASE = '/spa';
const VIEWS: Record<string, { title: string; html: string }> = {
  '/': {
    title: 'Home',
    html: '<h1>Tea notes</h1><p>A single-page app: links change the URL with <code>history.pushState</code>.</p>',
  },
  '/teas': {
    title: 'Teas',
    html:
      '<h1>Teas</h1><ul><li>Longjing</li><li>Tieguanyin</li><li>Pu’er</li></ul>' +
      '<button type="button" data-track="Tea Liked" data-track-tea="longjing">Like Longjing</button>',
  },
  '/about': {
    title: 'About',
    html: "<h1>About</h1><p>Built with <code>import { createTrail } from '@trail/sdk-web'</code> and esbuild.</p>",
  },
};

function render(): void {
  const route = location.pathname.slice(BASE.length).replace(/\/+$/, '') || '/';
  const view = VIEWS[route] ?? { title: 'Not found', html: '<h1>Not found</h1>' };
  document.title = `${view.title} · SPA`;
  const main = document.querySelector('main');
  if (main) main.innerHTML = view.html;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    link.classList.toggle('active', link.pathname === location.pathname);
  }
}

document.addEventListener('click', (event) => {
  const link = (event.target as Element).closest<HTMLAnchorElement>('a[data-route]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  if (link.pathname === location.pathname) return;
  // Title first: the page view the SDK records for this pushState carries it.
  const route = link.pathname.slice(BASE.length).replace(/\/+$/, '') || '/';
  document.title = `${VIEWS[route]?.title ?? 'Not found'} · SPA`;
  history.pushState(null, '', link.href);
  render();
});
// Registered before the SDK's own listener, so that the page view of a back / forward has the title.
window.addEventListener('popstate', render);
render();

// Created after the first render: the page view it records on start carries the view's title.
const trail = createTrail({
  writeKey: 'demo',
  // The collector that serves this page (`npm start`); on your site, e.g. https://t.example.com.
  endpoint: location.origin,
  flushInterval: 500,
});

// For the console: `spaTrail.stats()`.
(window as unknown as { spaTrail: typeof trail }).spaTrail = trail;
