import type { EventContext, LibraryContext, Plugin } from '@trail/sdk-core';

/** Name and version in every event's `context.library`. */
export const LIBRARY: LibraryContext = { name: 'trail-web', version: '0.1.0' };

// Read once: building an Intl.DateTimeFormat cost more than the rest of a track() call together.
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

// document.referrer stays the landing page's referrer through SPA route changes: after a route
// change, the page an event came from is the URL of the event before it.
let url = location.href;
let referrer = document.referrer;

/** Page, locale, time zone, screen size and user agent of an event made now. */
export function webContext(): EventContext {
  const { href, pathname, search } = location;
  if (href !== url) {
    referrer = url;
    url = href;
  }
  return {
    library: LIBRARY,
    page: { path: pathname, referrer, search, title: document.title, url: href },
    locale: navigator.language,
    timezone: TIME_ZONE,
    userAgent: navigator.userAgent,
    screen: { width: screen.width, height: screen.height },
  };
}

/** Segment's page properties (`path`, `referrer`, `search`, `title`, `url`) under those the caller passed. */
export const pageProperties: Plugin = (e) => {
  if (e.type === 'page') e.properties = { ...e.context?.page, ...e.properties };
  return e;
};
