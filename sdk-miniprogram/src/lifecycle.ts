import { type Client, campaignOf, datasetProps, uuid } from '@trail/sdk-core';
import type { Visit } from './context.ts';
import { around, before, type Instance, type Options } from './hooks.ts';
import type { LaunchOptions } from './native.ts';
import { chainOf, pagePath, productOf, shareParams, withQuery } from './share.ts';

/** Which automatic events to collect; each defaults as noted. */
export interface Autocapture {
  /** Application Opened / Application Backgrounded (default on). */
  app?: boolean;
  /** A `screen` event per page shown and `Page Left` with its duration (default on). */
  pages?: boolean;
  /** Taps on elements with `data-track` (default on). */
  taps?: boolean;
  /** Shares from onShareAppMessage / onShareTimeline (default on). */
  shares?: boolean;
  /** Pull-down refresh (default off). */
  pullDownRefresh?: boolean;
  /** Reach bottom (default off). */
  reachBottom?: boolean;
}

/** What the lifecycle hooks need besides the client. */
export interface HookSettings {
  auto: Autocapture;
  /** Add share parameters to shared paths (off unless the developer enables it). */
  shareTracking: boolean;
  channelKeys: string[];
  visit: Visit;
  /** The landing campaign, replaced on every open. */
  land(campaign: ReturnType<typeof campaignOf>): void;
}

const LIFECYCLE =
  /^on(Load|Show|Ready|Hide|Unload|PullDownRefresh|ReachBottom|Share\w*|Launch|Error|PageNotFound|Resize|TabItemTap|PageScroll)$/;

declare let App: ((o: Options) => unknown) | undefined;
declare let Page: ((o: Options) => unknown) | undefined;
declare let Component: ((o: Options) => unknown) | undefined;

/** Wraps App(), Page() and Component() once, so every app and page built after init is tracked. */
export function hookLifecycle(client: Client, s: HookSettings): void {
  const { auto, visit } = s;
  let shownAt = 0;
  let lastRoute: string | undefined;
  const pageShown = new WeakMap<Instance, number>();
  const loadQuery = new WeakMap<Instance, Record<string, string>>();

  /** A new open (launch or back from background): scene, share chain and campaign of this visit. */
  const open = (o: LaunchOptions | undefined, fromBackground: boolean) => {
    shownAt = Date.now();
    visit.scene = o?.scene;
    visit.referrerInfo = o?.referrerInfo;
    visit.share = chainOf(o?.query);
    // Until a page shows, the open's own path is where the user is.
    visit.route = o?.path;
    visit.query = o?.query;
    s.land(campaignOf(o?.query ?? {}, s.channelKeys));
    if (auto.app !== false) {
      client.track('Application Opened', {
        from_background: fromBackground,
        scene: o?.scene,
        path: o?.path,
        query: o?.query,
      });
    }
  };

  const hookApp = (o: Options) => {
    before(o, 'onLaunch', (opts) => open(opts as LaunchOptions, false));
    before(o, 'onShow', (opts) => {
      // onShow follows onLaunch at start; only a return from the background is a new open.
      if (shownAt) return;
      open(opts as LaunchOptions, true);
      client.online();
    });
    before(o, 'onHide', () => {
      if (auto.app !== false) client.track('Application Backgrounded', { duration_ms: Date.now() - shownAt });
      shownAt = 0;
      // JS is suspended a few seconds after hide: send now, expecting it may fail (events stay queued).
      void client.flush(true);
    });
    return o;
  };

  const hookPage = (o: Options) => {
    if (auto.pages !== false) {
      // Not every platform sets `this.options`; onLoad always gets the query.
      before(o, 'onLoad', function (query) {
        loadQuery.set(this, query as Record<string, string>);
      });
      before(o, 'onShow', function () {
        // Frameworks (Taro, uni-app) may call onShow twice; one view per show.
        if (pageShown.get(this)) return;
        pageShown.set(this, Date.now());
        visit.route = this.route;
        visit.query = this.options ?? loadQuery.get(this);
        client.screen(this.route, { path: this.route, query: visit.query ?? {}, referrer: lastRoute });
        lastRoute = this.route;
      });
      const leave = function (this: Instance) {
        const at = pageShown.get(this);
        if (!at) return;
        pageShown.set(this, 0);
        client.track('Page Left', { path: this.route, duration_ms: Date.now() - at });
      };
      before(o, 'onHide', leave);
      before(o, 'onUnload', leave);
    }
    if (auto.pullDownRefresh)
      before(o, 'onPullDownRefresh', function () {
        client.track('Pull Down Refresh', { path: this.route });
      });
    if (auto.reachBottom)
      before(o, 'onReachBottom', function () {
        client.track('Reach Bottom', { path: this.route });
      });
    if (auto.shares !== false) {
      hookShare(o, 'onShareAppMessage', 'friend');
      hookShare(o, 'onShareTimeline', 'timeline');
    }
    if (auto.taps !== false) hookTaps(o);
    return o;
  };

  const hookShare = (o: Options, name: string, via: 'friend' | 'timeline') =>
    around(
      o,
      name,
      (original) =>
        function (this: Instance, ...args: unknown[]) {
          const shareId = uuid();
          const params = shareParams(shareId, client.anonymousId(), visit.share);
          const own = pagePath(this.route, this.options);
          const decorate = (content: Record<string, unknown> | undefined) => {
            const c = { ...content };
            // Share parameters carry an identifier: only with analytics consent.
            if (s.shareTracking && client.consent()?.analytics) {
              if (via === 'timeline') c.query = c.query ? `${c.query}&${params}` : params;
              else c.path = withQuery((c.path as string | undefined) ?? own, params);
            }
            return c;
          };
          const result = (original.apply(this, args) ?? {}) as Record<string, unknown>;
          const out = decorate(result);
          // WeChat's async share: `promise` resolves to the content, used if it settles within 3 s.
          if (result.promise)
            out.promise = (result.promise as Promise<Record<string, unknown>>).then(decorate);
          const shared =
            via === 'timeline' ? `?${(out.query as string) ?? ''}` : ((out.path as string) ?? '');
          const productId = productOf(shared) ?? productOf(own);
          client.track(productId ? 'Product Shared' : 'Page Shared', {
            share_via: via,
            share_id: shareId,
            share_depth: (visit.share?.depth ?? 0) + 1,
            path: this.route,
            product_id: productId,
          });
          return out;
        },
    );

  /** Handlers called with a tap on an element that has `data-track` record it first. */
  const hookTaps = (o: Options) => {
    for (const target of [o, o.methods]) {
      for (const name of Object.keys(target ?? {})) {
        if (LIFECYCLE.test(name)) continue;
        around(
          target as Options,
          name,
          (original) =>
            function (this: Instance, ...args: unknown[]) {
              const e = args[0] as
                { currentTarget?: { id?: string; dataset?: Record<string, unknown> } } | undefined;
              const ds = e?.currentTarget?.dataset;
              if (ds && 'track' in ds) {
                client.track(String(ds.track || 'Element Tapped'), {
                  element_id: e?.currentTarget?.id,
                  handler: name,
                  path: this.route,
                  ...datasetProps(ds),
                });
              }
              return original.apply(this, args);
            },
        );
      }
    }
  };

  if (typeof App === 'function') {
    const app = App;
    App = (o) => app(hookApp(o));
  }
  if (typeof Page === 'function') {
    const page = Page;
    Page = (o) => page(hookPage(o));
  }
  if (typeof Component === 'function') {
    const component = Component;
    // A page built with Component() has its page handlers in `methods`; other components, taps only.
    Component = (o) => {
      const m = o.methods as Options | undefined;
      if (m && (m.onLoad || m.onShow)) hookPage(m);
      else if (m && auto.taps !== false) hookTaps(m);
      return component(o);
    };
  }
}
