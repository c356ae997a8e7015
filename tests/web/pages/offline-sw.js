/* global self, caches, fetch, Response, URL */
// Lets a test page load while the browser is offline, as a site's service worker would: same-origin
// GETs go to the network first and fall back to the copy cached on the last successful load.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (new URL(request.url).origin !== self.location.origin || request.method !== 'GET') return;
  event.respondWith(
    caches.open('offline-pages').then((cache) =>
      fetch(request)
        .then((response) => cache.put(request, response.clone()).then(() => response))
        .catch(() => cache.match(request).then((cached) => cached ?? Response.error())),
    ),
  );
});
