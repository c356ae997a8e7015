type Navigate = Event & {
  destination: { url: string; sameDocument: boolean };
  downloadRequest: string | null;
};

/** How long after a navigation starts the page may still be waiting for the next one to load. */
const PENDING_MS = 10_000;

/**
 * Whether the page is being left for another page of its origin, which will take its queue over.
 * The Navigation API announces navigations the page starts (links, forms, `location`); a reload or
 * an address typed in the browser's own UI is not announced, so the page sends on exit as before.
 */
export function leavingForOwnOrigin(): () => boolean {
  let at = 0;
  (window as { navigation?: EventTarget }).navigation?.addEventListener('navigate', (event) => {
    const { destination, downloadRequest } = event as Navigate;
    at =
      !destination.sameDocument &&
      downloadRequest === null &&
      new URL(destination.url).origin === location.origin
        ? Date.now()
        : 0;
  });
  return () => Date.now() - at < PENDING_MS;
}
