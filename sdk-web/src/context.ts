import type { EventContext, LibraryContext } from '@trail/sdk-core';

/** Name and version in every event's `context.library`. */
export const LIBRARY: LibraryContext = { name: 'trail-web', version: '0.1.0' };

// Read once: building an Intl.DateTimeFormat cost more than the rest of a track() call together.
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Page, locale, time zone, screen size and user agent of an event made now. */
export function webContext(): EventContext {
  const { href, pathname, search } = location;
  return {
    library: LIBRARY,
    page: { path: pathname, referrer: document.referrer, search, title: document.title, url: href },
    locale: navigator.language,
    timezone: TIME_ZONE,
    userAgent: navigator.userAgent,
    screen: { width: screen.width, height: screen.height },
  };
}
