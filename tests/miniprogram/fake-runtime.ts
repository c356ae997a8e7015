/**
 * A hand-written fake of the WeChat mini-program runtime (and of Alipay's `my`), faithful to the
 * official documentation where it matters to an analytics SDK: real HTTP through `wx.request` with
 * WeChat's concurrency limit and error messages, storage with real quotas, the App/Page lifecycle,
 * taps and shares, suspension after the app is hidden, privacy authorization, and the system-info
 * APIs. App code (the app's CommonJS modules and the SDK's CJS bundle) runs in a `node:vm` context
 * whose globals are the mini-program's: `wx`/`my`/`tt`/`swan`/`qq`, `App`, `Page`, `Component`,
 * `getApp`, `getCurrentPages`, timers — and no `window`, `document`, `fetch` or `localStorage`.
 *
 * Doc pages each behaviour follows are named where it is implemented (developers.weixin.qq.com,
 * opendocs.alipay.com); see also tests/miniprogram/README.md.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import vm from 'node:vm';
import { datasetOf, evaluate, readWxml, type WxmlElement } from './wxml.ts';

/** The mini-program platforms behind one adapter table. */
export type Platform = 'wechat' | 'alipay' | 'douyin' | 'baidu' | 'qq';

/** Name of the API namespace each platform puts on the global object. */
export const API_NAME: Record<Platform, string> = {
  wechat: 'wx',
  alipay: 'my',
  douyin: 'tt',
  baidu: 'swan',
  qq: 'qq',
};

const MB = 1024 * 1024;
/** wx.setStorage: "单个 key 允许存储的最大数据长度为 1MB，所有数据存储上限为 10MB"; Douyin the same. */
const WX_STORAGE = { perKey: MB, total: 10 * MB };
/** my.setStorage: "单个 key 允许存储的最大数据长度为 200KB，所有数据存储上限为 10MB". */
const MY_STORAGE = { perKey: 200 * 1024, total: 10 * MB };

/** Launch / enter options, as App.onLaunch, App.onShow and wx.getLaunchOptionsSync give them. */
export interface EnterOptions {
  path: string;
  query: Record<string, string>;
  scene: number;
  referrerInfo: { appId?: string; extraData?: Record<string, unknown> };
  shareTicket?: string;
  chatType?: number;
  apiCategory?: string;
}

/** What a test passes to launch or show: `path` may carry a query string (`pages/x/x?a=1`). */
export interface OpenOptions {
  path?: string;
  query?: Record<string, string>;
  scene?: number;
  referrerInfo?: EnterOptions['referrerInfo'];
  shareTicket?: string;
  chatType?: number;
}

export interface RuntimeOptions {
  platform?: Platform;
  appId?: string;
  envVersion?: 'develop' | 'trial' | 'release';
  /** Online version (getAccountInfoSync; "仅支持在正式版小程序中获取"). */
  version?: string;
  /** Milliseconds between hide and suspension; WeChat: about 5 s. */
  suspendAfterMs?: number;
  /** Requests in flight at once; WeChat: 10 ("最大并发限制是 10 个"). */
  maxConcurrentRequests?: number;
  /** Default request timeout; wx.request: 60 s, my.request: 30 s. */
  requestTimeoutMs?: number;
  /** Delay between the server's answer and the callback: the window in which suspension interrupts. */
  latencyMs?: number;
  /** Override the platform's storage quota (bytes of the JSON-serialized values). */
  storageLimits?: { perKey?: number; total?: number };
  /** Storage left by an earlier launch on the same device. */
  initialStorage?: Record<string, unknown>;
  /** wx.getPrivacySetting answer; `needAuthorization: false` means the user agreed earlier. */
  privacy?: { needAuthorization: boolean; privacyContractName?: string };
  /** What the platform's own privacy popup answers when no listener is registered. */
  platformPrivacyPopup?: 'agree' | 'disagree';
  /** wx.login code / my.getAuthCode authCode. */
  loginCode?: string;
  /** wx.requestPayment / my.tradePay outcome. */
  payment?: 'ok' | 'cancel';
  /** Milliseconds onShareAppMessage's `promise` may take before the defaults are used (WeChat: 3 s). */
  sharePromiseTimeoutMs?: number;
  /** `require` substitutes: package name → file (like miniprogram_npm), or absolute file → exports. */
  aliases?: Record<string, string>;
  modules?: Record<string, unknown>;
  /** Device facts (getDeviceInfo / getWindowInfo / getAppBaseInfo). */
  device?: Partial<DeviceFacts>;
}

interface DeviceFacts {
  brand: string;
  model: string;
  system: string;
  platform: string;
  pixelRatio: number;
  screenWidth: number;
  screenHeight: number;
  windowWidth: number;
  windowHeight: number;
  statusBarHeight: number;
  language: string;
  version: string;
  SDKVersion: string;
}

const DEVICE: DeviceFacts = {
  brand: 'iPhone',
  model: 'iPhone 15 Pro<iPhone16,1>',
  system: 'iOS 17.4',
  platform: 'ios',
  pixelRatio: 3,
  screenWidth: 393,
  screenHeight: 852,
  windowWidth: 393,
  windowHeight: 759,
  statusBarHeight: 59,
  language: 'zh_CN',
  version: '8.0.47',
  SDKVersion: '3.4.1',
};

/** One request the app made, as the fake saw it. */
export interface RequestRecord {
  id: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** messageIds of the batch in the body (empty when not a trail batch). */
  messageIds: string[];
  /** Event names of the batch (`event` for track, `name` for screen/page, else the type). */
  names: string[];
  startedAt: number;
  settledAt?: number;
  /** Callback given: success (any HTTP status on WeChat), fail, or still pending. */
  outcome: 'pending' | 'success' | 'fail';
  status?: number;
  errMsg?: string;
  /** The request reached the server (a fail after this may still have been stored). */
  answered: boolean;
  /** The app's state when the request was made. */
  appState: AppState;
}

/** One mutation of storage (set, remove, clear), successful or not. */
export interface StorageWrite {
  api: string;
  key?: string;
  /** Bytes of the JSON value written (0 for removals). */
  bytes: number;
  ok: boolean;
  errMsg?: string;
  at: number;
}

/** An instance of a page on the stack. */
export interface PageInstance {
  route: string;
  __route__: string;
  options: Record<string, string>;
  data: Record<string, any>;
  setData(patch: Record<string, unknown>, callback?: () => void): void;
  [key: string]: any;
}

export type AppState = 'not-launched' | 'foreground' | 'background' | 'suspended' | 'closed';

type Callbacks = { success?: (res: any) => void; fail?: (res: any) => void; complete?: (res: any) => void };
type Fn = (...args: any[]) => any;

interface FakeTimer {
  id: number;
  fn: Fn;
  args: unknown[];
  delay: number;
  repeat: boolean;
  dueAt: number;
  handle?: ReturnType<typeof setTimeout>;
  remaining?: number;
}

interface InFlight {
  record: RequestRecord;
  controller: AbortController;
  reason?: 'timeout' | 'interrupted' | 'offline' | 'abort' | 'closed' | 'refused';
  timer?: ReturnType<typeof setTimeout>;
  settle(how: 'fail', reason: NonNullable<InFlight['reason']>): void;
}

const USER_AGENT: Record<Platform, (appId: string) => string> = {
  wechat: (appId) =>
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    `Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN miniProgram/${appId}`,
  alipay: () =>
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Mobile/15E148 ChannelId(0) Ariver/1.1.0 AliApp(AP/10.5.90.6000) Nebula AlipayDefined AlipayClient/10.5.90.6000 MiniProgram',
  douyin: () =>
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Mobile/15E148 aweme_29.0.0 ToutiaoMicroApp/3.20.0',
  baidu: () =>
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Mobile/15E148 baiduboxapp/13.50.0.10 swan/2.70.0',
  qq: () =>
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Mobile/15E148 QQ/9.0.30 miniProgram',
};

/** Thrown by the fake when a test drives it wrongly (not an error the app would see). */
export class FakeRuntimeError extends Error {}

/**
 * One device running one mini-program. Create it, `loadApp(dir)`, then `launch()`; drive it with
 * navigateTo/tap/share/hide/show/setNetwork; read `requests`, `storage.writes`, `errors`.
 */
export class FakeMiniProgram {
  readonly platform: Platform;
  readonly appId: string;
  /** The context's global object: what app code sees as `globalThis`. */
  readonly global: Record<string, any>;
  /** The platform API object (`wx`, `my`, …) as installed on the global. */
  readonly api: Record<string, any>;
  readonly storage: FakeStorage;
  readonly requests: RequestRecord[] = [];
  /** Errors thrown by app code in lifecycle hooks, handlers and callbacks. */
  readonly errors: unknown[] = [];
  /** Every function ever passed to wx.onNeedPrivacyAuthorization, in order (only the last one is active). */
  readonly privacyListenerRegistrations: Fn[] = [];
  /** Calls of APIs the SDK must never use (deprecated getSystemInfo*, location and other privacy APIs). */
  readonly forbiddenCalls: string[] = [];
  /** Every platform API call made by app code, by name, in order. */
  readonly apiCalls: string[] = [];
  /** Most requests in flight at once so far. */
  maxConcurrent = 0;
  state: AppState = 'not-launched';
  latencyMs: number;
  online = true;

  private readonly options: RuntimeOptions;
  private readonly context: vm.Context;
  private readonly sandboxParse: (text: string) => any;
  private readonly modules = new Map<string, { exports: any }>();
  private readonly timers = new Map<number, FakeTimer>();
  private nextTimerId = 1;
  private readonly hostTimers = new Set<ReturnType<typeof setTimeout>>();
  private readonly held: (() => void)[] = [];
  private scheduled = 0;
  private readonly inFlight = new Set<InFlight>();
  private nextRequestId = 1;
  private suspendTimer?: ReturnType<typeof setTimeout>;
  private appDir?: string;
  private routes: string[] = [];
  private readonly pageDefs = new Map<string, { options: Record<string, any>; component: boolean }>();
  private readonly components: Record<string, any>[] = [];
  private registeringRoute?: string;
  private appInstance?: Record<string, any>;
  private readonly stack: PageInstance[] = [];
  private launchOptions?: EnterOptions;
  private enterOptions?: EnterOptions;
  private readonly listeners = {
    appShow: [] as Fn[],
    appHide: [] as Fn[],
    network: [] as Fn[],
    error: [] as Fn[],
  };
  private activePrivacyListener?: Fn;
  private privacyAgreed: boolean;
  private pageOpenedAt = Date.now();

  constructor(options: RuntimeOptions = {}) {
    this.options = options;
    this.platform = options.platform ?? 'wechat';
    this.appId = options.appId ?? (this.platform === 'alipay' ? '2021000000000000' : 'touristappid');
    this.latencyMs = options.latencyMs ?? 0;
    this.privacyAgreed = !(options.privacy?.needAuthorization ?? false);
    const limits = this.platform === 'alipay' ? MY_STORAGE : WX_STORAGE;
    this.storage = new FakeStorage(
      options.storageLimits?.perKey ?? limits.perKey,
      options.storageLimits?.total ?? limits.total,
      options.initialStorage,
    );
    this.global = Object.create(null) as Record<string, any>;
    this.context = vm.createContext(this.global, { name: `mini-program ${this.platform}` });
    this.sandboxParse = vm.runInContext('JSON.parse', this.context) as (text: string) => any;
    this.api = this.platform === 'alipay' ? this.buildMy() : this.buildWx();
    this.installGlobals();
  }

  // ─── Loading ────────────────────────────────────────────────────────────────────────────────

  /**
   * Loads a mini-program project the way the client does at cold start: app.js first (it calls
   * App(), and an SDK's init() there wraps App/Page), then every page of app.json, each of which
   * calls Page() or Component().
   */
  loadApp(dir: string): this {
    this.appDir = resolve(dir);
    const appJson = JSON.parse(readFileSync(join(this.appDir, 'app.json'), 'utf8')) as { pages?: string[] };
    this.routes = appJson.pages ?? [];
    if (!this.routes.length) throw new FakeRuntimeError('app.json lists no pages');
    this.requireFile(join(this.appDir, 'app.js'));
    if (!this.appInstance) throw new FakeRuntimeError('app.js did not call App()');
    for (const route of this.routes) {
      this.registeringRoute = route;
      try {
        this.requireFile(join(this.appDir, `${route}.js`));
      } finally {
        this.registeringRoute = undefined;
      }
      if (!this.pageDefs.has(route))
        throw new FakeRuntimeError(`${route}.js did not call Page() or Component()`);
    }
    return this;
  }

  /** Runs a module of the app (or any file) inside the sandbox and returns its exports. */
  requireFile(file: string): any {
    const path = resolve(file);
    const override = this.options.modules?.[path];
    if (override !== undefined) return override;
    const cached = this.modules.get(path);
    if (cached) return cached.exports;
    if (!existsSync(path)) throw new FakeRuntimeError(`module not found: ${path}`);
    const module = { exports: {} as any };
    this.modules.set(path, module);
    const source = readFileSync(path, 'utf8');
    if (path.endsWith('.json')) {
      module.exports = this.sandboxParse(source);
      return module.exports;
    }
    // Alipay's engine forbids `globalThis` and `global` in mini-program code ("小程序引擎中禁止访问
    // globalThis、global", opendocs.alipay.com, 小程序的 JavaScript 引擎): they read as undefined there.
    const hidden = this.platform === 'alipay' ? ['globalThis', 'global'] : [];
    const fn = vm.compileFunction(
      source,
      ['exports', 'require', 'module', '__filename', '__dirname', ...hidden],
      {
        parsingContext: this.context,
        filename: path,
      },
    );
    try {
      fn.call(module.exports, module.exports, this.makeRequire(dirname(path)), module, path, dirname(path));
    } catch (error) {
      this.modules.delete(path);
      throw error;
    }
    return module.exports;
  }

  private makeRequire(from: string): (spec: string) => any {
    return (spec: string) => {
      if (this.options.modules && spec in this.options.modules) return this.options.modules[spec];
      const alias = this.options.aliases?.[spec];
      if (alias) return this.requireFile(alias);
      if (!spec.startsWith('.') && !spec.startsWith('/')) {
        // The client has no node_modules and no built-in modules: npm packages are built into
        // miniprogram_npm/, and anything else is "module 'x' is not defined".
        const npm = this.appDir && join(this.appDir, 'miniprogram_npm', spec);
        if (npm && existsSync(npm)) return this.requireFile(resolveFile(npm));
        throw new Error(`module '${spec}' is not defined, require args is '${spec}'`);
      }
      const base = spec.startsWith('/') && this.appDir ? join(this.appDir, spec) : resolve(from, spec);
      return this.requireFile(resolveFile(base));
    };
  }

  // ─── Globals ────────────────────────────────────────────────────────────────────────────────

  private installGlobals(): void {
    const g = this.global;
    g[API_NAME[this.platform]] = this.api;
    g.App = (options: Record<string, any>) => {
      if (this.appInstance) throw new Error('App() can only be called once');
      if (!options || typeof options !== 'object') throw new Error('App() needs an object');
      this.appInstance = options;
    };
    g.getApp = () => this.appInstance;
    g.Page = (options: Record<string, any>) => this.registerPage(options ?? {}, false);
    g.Component = (options: Record<string, any>) => {
      if (this.registeringRoute) this.registerPage(options ?? {}, true);
      else this.components.push(options ?? {});
    };
    g.Behavior = (options: Record<string, any>) => options;
    g.getCurrentPages = () => [...this.stack];
    g.setTimeout = (fn: Fn, ms?: number, ...args: unknown[]) => this.addTimer(fn, ms, args, false);
    g.setInterval = (fn: Fn, ms?: number, ...args: unknown[]) => this.addTimer(fn, ms, args, true);
    g.clearTimeout = g.clearInterval = (id?: number) => this.removeTimer(id);
    g.console = console;
  }

  private registerPage(options: Record<string, any>, component: boolean): void {
    const route = this.registeringRoute;
    if (!route) throw new Error('Page() must be called in a page file listed in app.json');
    if (this.pageDefs.has(route)) throw new Error(`Page() called twice for ${route}`);
    this.pageDefs.set(route, { options, component });
  }

  // ─── Timers and suspension ──────────────────────────────────────────────────────────────────

  private addTimer(fn: Fn, ms: number | undefined, args: unknown[], repeat: boolean): number {
    if (typeof fn !== 'function') throw new TypeError('setTimeout needs a function');
    const delay = Math.max(0, Number(ms) || 0);
    const timer: FakeTimer = { id: this.nextTimerId++, fn, args, delay, repeat, dueAt: 0 };
    this.timers.set(timer.id, timer);
    if (this.state === 'suspended') timer.remaining = delay;
    else this.arm(timer, delay);
    return timer.id;
  }

  private arm(timer: FakeTimer, delay: number): void {
    timer.dueAt = Date.now() + delay;
    timer.remaining = undefined;
    timer.handle = this.hostTimeout(() => {
      timer.handle = undefined;
      if (!this.timers.has(timer.id)) return;
      if (timer.repeat) this.arm(timer, timer.delay);
      else this.timers.delete(timer.id);
      this.run(() => timer.fn(...timer.args));
    }, delay);
  }

  private removeTimer(id?: number): void {
    if (id === undefined) return;
    const timer = this.timers.get(Number(id));
    if (!timer) return;
    if (timer.handle) this.clearHost(timer.handle);
    this.timers.delete(timer.id);
  }

  private hostTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const handle = setTimeout(() => {
      this.hostTimers.delete(handle);
      fn();
    }, ms);
    this.hostTimers.add(handle);
    return handle;
  }

  private clearHost(handle: ReturnType<typeof setTimeout>): void {
    clearTimeout(handle);
    this.hostTimers.delete(handle);
  }

  /** Timers the app has pending (not yet fired), for assertions. */
  pendingTimers(): { delay: number; repeat: boolean; paused: boolean }[] {
    return [...this.timers.values()].map((t) => ({
      delay: t.delay,
      repeat: t.repeat,
      paused: t.remaining !== undefined,
    }));
  }

  /**
   * "小程序进入「后台」状态一段时间后（目前是 5 秒），微信会停止小程序 JS 线程的执行 … 事件和接口
   * 回调会在小程序再次进入「前台」时触发" (运行机制), and "小程序进入后台运行后，如果 5s 内网络
   * 请求没有结束，会回调错误信息 fail interrupted" (网络 · 使用限制).
   */
  suspend(): void {
    if (this.state !== 'background') throw new FakeRuntimeError(`cannot suspend from ${this.state}`);
    this.state = 'suspended';
    for (const timer of this.timers.values()) {
      if (timer.handle) this.clearHost(timer.handle);
      timer.handle = undefined;
      timer.remaining = Math.max(0, timer.dueAt - Date.now());
    }
    for (const request of [...this.inFlight]) request.settle('fail', 'interrupted');
  }

  private resume(): void {
    this.state = 'background';
    for (const fn of this.held.splice(0)) this.schedule(fn);
    for (const timer of this.timers.values()) {
      if (timer.remaining !== undefined) this.arm(timer, timer.remaining);
    }
  }

  /** Runs `fn` as its own task, as the client delivers callbacks; held while JS is suspended. */
  private deliver(fn: () => void): void {
    if (this.state === 'closed') return;
    if (this.state === 'suspended') this.held.push(fn);
    else this.schedule(fn);
  }

  private schedule(fn: () => void): void {
    this.scheduled++;
    this.hostTimeout(() => {
      this.scheduled--;
      if (this.state === 'closed') return;
      if (this.state === 'suspended') this.held.push(fn);
      else this.run(fn);
    }, 0);
  }

  /** Runs app code, recording (and reporting to App.onError / wx.onError) what it throws. */
  private run(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.errors.push(error);
      // Errors from the sandbox are of its realm: `instanceof Error` would be false.
      const e = error as { message?: unknown; stack?: unknown } | null;
      const message =
        typeof e?.message === 'string' ? `${e.message}\n${String(e.stack ?? '')}` : String(error);
      try {
        this.appInstance?.onError?.call(this.appInstance, message);
        for (const listener of this.listeners.error) listener(message);
      } catch (again) {
        this.errors.push(again);
      }
    }
  }

  /** Resolves once every callback scheduled so far (and those they schedule) has run. */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await new Promise((done) => setImmediate(done));
      if (this.scheduled === 0) {
        await new Promise((done) => setTimeout(done, 0));
        if (this.scheduled === 0) return;
      }
    }
    throw new FakeRuntimeError('idle(): callbacks kept scheduling callbacks');
  }

  /** Runs a script in the sandbox (as app code) and returns its completion value. */
  evaluate<T = unknown>(source: string): T {
    return vm.runInContext(source, this.context) as T;
  }

  /** Copies a host value into the sandbox's realm, as the client's JS bridge does. */
  out<T>(value: T): T {
    if (value === undefined) return value;
    return this.sandboxParse(JSON.stringify(value)) as T;
  }

  private ok(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return this.out({ errMsg: `${name}:ok`, ...extra });
  }

  /** Calls success/fail and complete in one delivered task. */
  private respond(cb: Callbacks | undefined, success: boolean, res: unknown): void {
    this.deliver(() => {
      this.run(() => (success ? cb?.success : cb?.fail)?.(res));
      this.run(() => cb?.complete?.(res));
    });
  }

  // ─── Lifecycle driving (the test's hands) ────────────────────────────────────────────────────

  /**
   * Cold start: App.onLaunch(options), App.onShow(options), wx.onAppShow listeners, then the entry
   * page (`path`, default the first page of app.json): onLoad(query) → onShow → onReady.
   */
  launch(open: OpenOptions = {}): this {
    if (this.state !== 'not-launched') throw new FakeRuntimeError('already launched');
    const options = this.enterOptionsOf(open, 1001);
    if (!this.pageDefs.has(options.path)) throw new FakeRuntimeError(`no page ${options.path}`);
    this.launchOptions = this.enterOptions = options;
    this.state = 'foreground';
    this.hook(this.appInstance, 'onLaunch', this.out(options));
    this.hook(this.appInstance, 'onShow', this.out(options));
    for (const listener of [...this.listeners.appShow]) this.run(() => listener(this.out(options)));
    this.openPage(options.path, options.query);
    return this;
  }

  private enterOptionsOf(open: OpenOptions, defaultScene: number): EnterOptions {
    const parsed = parsePath(open.path ?? this.routes[0] ?? '');
    return {
      path: parsed.route,
      query: { ...parsed.query, ...open.query },
      scene: open.scene ?? defaultScene,
      referrerInfo: open.referrerInfo ?? {},
      ...(open.shareTicket ? { shareTicket: open.shareTicket } : {}),
      ...(open.chatType ? { chatType: open.chatType } : {}),
      ...(this.platform === 'wechat' ? { apiCategory: 'default' } : {}),
    };
  }

  /** wx.navigateTo: the current page hides, the new one loads on top (10 pages at most). */
  navigateTo(route: string, query: Record<string, string> = {}): PageInstance {
    this.mustBeForeground();
    if (this.stack.length >= 10) throw new FakeRuntimeError('navigateTo:fail webview count limit exceed');
    const current = this.currentPage;
    if (current) this.hook(current, 'onHide');
    return this.openPage(route, query);
  }

  /** wx.redirectTo: the current page unloads, the new one takes its place. */
  redirectTo(route: string, query: Record<string, string> = {}): PageInstance {
    this.mustBeForeground();
    const current = this.stack.pop();
    if (current) this.hook(current, 'onUnload');
    return this.openPage(route, query);
  }

  /** wx.reLaunch: every page unloads, then the new one opens. */
  reLaunch(route: string, query: Record<string, string> = {}): PageInstance {
    this.mustBeForeground();
    while (this.stack.length) this.hook(this.stack.pop(), 'onUnload');
    return this.openPage(route, query);
  }

  /** wx.navigateBack: the top `delta` pages unload, the one below shows again. */
  navigateBack(delta = 1): PageInstance {
    this.mustBeForeground();
    if (this.stack.length < 2)
      throw new FakeRuntimeError('navigateBack:fail cannot navigate back at first page.');
    for (let i = 0; i < delta && this.stack.length > 1; i++) this.hook(this.stack.pop(), 'onUnload');
    const page = this.currentPage as PageInstance;
    this.pageOpenedAt = Date.now();
    this.hook(page, 'onShow');
    return page;
  }

  private openPage(routeOrPath: string, query: Record<string, string>): PageInstance {
    const parsed = parsePath(routeOrPath);
    const route = parsed.route;
    const def = this.pageDefs.get(route);
    if (!def) throw new FakeRuntimeError(`page "${route}" is not found`);
    const page = this.createPage(route, { ...parsed.query, ...query }, def);
    this.stack.push(page);
    this.pageOpenedAt = Date.now();
    if (def.component) {
      this.hook(def.options.lifetimes ?? def.options, 'created', undefined, page);
      this.hook(def.options.lifetimes ?? def.options, 'attached', undefined, page);
    }
    this.hook(page, 'onLoad', page.options);
    this.hook(page, 'onShow');
    this.hook(page, 'onReady');
    return page;
  }

  /**
   * A page instance as WeChat makes it: a copy of the Page options (data deep-copied), `route`,
   * `options` (the query) and `setData` with data-path keys. Pages made with Component() take their
   * methods, page lifecycles included, from `methods`.
   */
  private createPage(
    route: string,
    query: Record<string, string>,
    def: { options: Record<string, any>; component: boolean },
  ): PageInstance {
    const source = def.options;
    const page: PageInstance = Object.create(null);
    const members = def.component ? { ...(source.methods ?? {}) } : source;
    for (const [key, value] of Object.entries(members)) {
      if (key !== 'data') page[key] = value;
    }
    page.data = this.out(source.data ?? {}) ?? {};
    page.route = page.__route__ = route;
    page.options = this.out(query);
    page.is = route;
    page.setData = (patch: Record<string, unknown>, callback?: () => void) => {
      for (const [path, value] of Object.entries(patch ?? {})) setPath(page.data, path, value);
      if (callback) this.deliver(() => callback.call(page));
    };
    return page;
  }

  private hook(
    target: Record<string, any> | undefined,
    name: string,
    arg?: unknown,
    self?: unknown,
  ): unknown {
    const fn = target?.[name];
    if (typeof fn !== 'function') return undefined;
    let result: unknown;
    this.run(() => {
      result = arg === undefined ? fn.call(self ?? target) : fn.call(self ?? target, arg);
    });
    return result;
  }

  /** The page on top of the stack. */
  get currentPage(): PageInstance | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** The app instance App() registered (what getApp() returns). */
  get app(): Record<string, any> {
    if (!this.appInstance) throw new FakeRuntimeError('no App() yet');
    return this.appInstance;
  }

  /** Routes of the page stack, bottom first. */
  get routeStack(): string[] {
    return this.stack.map((p) => p.route);
  }

  private mustBeForeground(): void {
    if (this.state !== 'foreground')
      throw new FakeRuntimeError(`the app is ${this.state}, not in the foreground`);
  }

  /**
   * A tap on an element whose `bindtap` is `method`: calls the current page's method with the event
   * object WeChat builds ({type:'tap', timeStamp, target, currentTarget, detail:{x,y}, touches, …}).
   */
  tap(
    method: string,
    dataset: Record<string, unknown> = {},
    options: { id?: string; x?: number; y?: number; type?: string } = {},
  ): unknown {
    this.mustBeForeground();
    const page = this.currentPage;
    if (!page) throw new FakeRuntimeError('no page');
    if (typeof page[method] !== 'function')
      throw new FakeRuntimeError(`${page.route} has no method ${method}`);
    const x = options.x ?? 100;
    const y = options.y ?? 200;
    const element = { id: options.id ?? '', offsetLeft: 0, offsetTop: 0, dataset };
    const touch = { identifier: 0, pageX: x, pageY: y, clientX: x, clientY: y, force: 1 };
    const event = this.out({
      type: options.type ?? 'tap',
      timeStamp: Date.now() - this.pageOpenedAt,
      target: element,
      currentTarget: element,
      mark: {},
      detail: { x, y },
      touches: [touch],
      changedTouches: [touch],
      mut: false,
    });
    return this.hook(page, method, event);
  }

  /** The tappable elements of the current page's WXML. */
  elements(): WxmlElement[] {
    const page = this.currentPage;
    if (!page || !this.appDir) throw new FakeRuntimeError('no page');
    return readWxml(join(this.appDir, `${page.route}.wxml`));
  }

  /**
   * Taps the element of the current page's WXML that matches (by `id`, `data-track` or handler),
   * with its dataset evaluated from the page data plus `scope` (e.g. `{ item }` inside a wx:for).
   */
  tapElement(
    match: { id?: string; track?: string; handler?: string },
    scope: Record<string, unknown> = {},
  ): unknown {
    const element = this.findElement(match);
    if (!element.handler) throw new FakeRuntimeError(`element ${JSON.stringify(match)} has no bindtap`);
    const values = { ...this.currentPage?.data, ...scope };
    const dataset = datasetOf(element.attrs, values);
    return this.tap(element.handler, dataset, { id: String(evaluate(element.id ?? '', values)) });
  }

  private findElement(match: {
    id?: string;
    track?: string;
    handler?: string;
    openType?: string;
  }): WxmlElement {
    const found = this.elements().filter(
      (e) =>
        (match.id === undefined || e.id === match.id) &&
        (match.track === undefined || e.attrs['data-track'] === match.track) &&
        (match.handler === undefined || e.handler === match.handler) &&
        (match.openType === undefined || e.attrs['open-type'] === match.openType),
    );
    if (found.length !== 1) {
      throw new FakeRuntimeError(
        `${found.length} elements match ${JSON.stringify(match)} on ${this.currentPage?.route}`,
      );
    }
    return found[0] as WxmlElement;
  }

  /** Page.onPullDownRefresh (the user pulled the page down). */
  pullDownRefresh(): void {
    this.mustBeForeground();
    this.hook(this.currentPage, 'onPullDownRefresh');
  }

  /** Page.onReachBottom (the user scrolled to the bottom). */
  reachBottom(): void {
    this.mustBeForeground();
    this.hook(this.currentPage, 'onReachBottom');
  }

  /**
   * The user shares the current page. `button`/`menu`: Page.onShareAppMessage({from, target}),
   * whose result may carry a `promise` ("如果该参数存在，则以 resolve 结果为准，如果三秒内不
   * resolve，分享会使用上面传入的默认参数"); defaults: title = app name, path = current page.
   * `timeline`: Page.onShareTimeline() → {title, query, imageUrl}. A `button` share without a target
   * uses the page's `<button open-type="share">` element.
   */
  async share(
    kind: 'button' | 'menu' | 'timeline' = 'menu',
    target?: { id?: string; dataset?: Record<string, unknown> },
  ): Promise<{ title: string; path: string; imageUrl?: string; query?: string }> {
    this.mustBeForeground();
    const page = this.currentPage as PageInstance;
    const defaultPath = `/${page.route}${queryString(page.options)}`;
    if (kind === 'timeline') {
      if (typeof page.onShareTimeline !== 'function')
        throw new FakeRuntimeError(`${page.route} cannot share to timeline`);
      const result = (this.hook(page, 'onShareTimeline') ?? {}) as Record<string, any>;
      return {
        title: result.title ?? 'demo',
        query: result.query ?? '',
        imageUrl: result.imageUrl,
        path: defaultPath,
      };
    }
    if (typeof page.onShareAppMessage !== 'function')
      throw new FakeRuntimeError(`${page.route} has no onShareAppMessage`);
    let buttonTarget: unknown;
    if (kind === 'button') {
      const element = target ?? this.buttonTarget();
      buttonTarget = { id: element.id ?? '', offsetLeft: 0, offsetTop: 0, dataset: element.dataset ?? {} };
    }
    const arg = this.out({ from: kind, ...(buttonTarget ? { target: buttonTarget } : {}) });
    const result = (this.hook(page, 'onShareAppMessage', arg) ?? {}) as Record<string, any>;
    let content = { title: result.title, path: result.path, imageUrl: result.imageUrl };
    if (result.promise && typeof result.promise.then === 'function') {
      const timeout = this.options.sharePromiseTimeoutMs ?? 3000;
      const resolved = await Promise.race([
        Promise.resolve(result.promise).catch(() => undefined),
        new Promise((done) => setTimeout(() => done(undefined), timeout)),
      ]);
      if (resolved && typeof resolved === 'object') content = { ...content, ...(resolved as object) };
    }
    return {
      title: content.title ?? 'demo',
      path: content.path ?? defaultPath,
      ...(content.imageUrl ? { imageUrl: content.imageUrl } : {}),
    };
  }

  private buttonTarget(): { id?: string; dataset: Record<string, unknown> } {
    const element = this.findElement({ openType: 'share' });
    const values = this.currentPage?.data ?? {};
    return { id: String(evaluate(element.id ?? '', values)), dataset: datasetOf(element.attrs, values) };
  }

  /**
   * The user leaves (home button, swipe away): Page.onHide, App.onHide, wx.onAppHide listeners; JS
   * is suspended `suspendAfterMs` later (WeChat: 5 s) unless the app is shown again first.
   */
  hide(): void {
    this.mustBeForeground();
    this.state = 'background';
    this.hook(this.currentPage, 'onHide');
    this.hook(this.appInstance, 'onHide');
    for (const listener of [...this.listeners.appHide]) this.run(() => listener());
    const after = this.options.suspendAfterMs ?? 5000;
    this.suspendTimer = this.hostTimeout(() => {
      this.suspendTimer = undefined;
      if (this.state === 'background') this.suspend();
    }, after);
  }

  /**
   * Back to the foreground (hot start): App.onShow, wx.onAppShow listeners and Page.onShow run at
   * once; the callbacks held while suspended (e.g. `request:fail interrupted`) follow, each as its
   * own task, in order; paused timers go on with the time they had left.
   */
  show(open: OpenOptions = {}): void {
    if (this.state !== 'background' && this.state !== 'suspended') {
      throw new FakeRuntimeError(`cannot show from ${this.state}`);
    }
    if (this.suspendTimer) this.clearHost(this.suspendTimer);
    this.suspendTimer = undefined;
    if (this.state === 'suspended') this.resume();
    const page = this.currentPage;
    const options = this.enterOptionsOf(
      { path: page?.route, query: page?.options, scene: 1089, ...open },
      open.scene ?? 1089,
    );
    this.enterOptions = options;
    this.state = 'foreground';
    this.hook(this.appInstance, 'onShow', this.out(options));
    for (const listener of [...this.listeners.appShow]) this.run(() => listener(this.out(options)));
    this.pageOpenedAt = Date.now();
    this.hook(page, 'onShow');
  }

  /** Network switch: requests fail while off; onNetworkStatusChange listeners hear each change. */
  setNetwork(online: boolean, networkType = 'wifi'): void {
    if (this.online === online) return;
    this.online = online;
    if (!online) for (const request of [...this.inFlight]) request.settle('fail', 'offline');
    const res =
      this.platform === 'alipay'
        ? { isConnected: online, networkType: online ? networkType.toUpperCase() : 'NOTREACHABLE' }
        : { isConnected: online, networkType: online ? networkType : 'none' };
    for (const listener of [...this.listeners.network]) this.deliver(() => listener(this.out(res)));
  }

  /** Shrinks (or restores) the storage quota, e.g. to simulate a full storage. */
  setStorageQuota(total: number, perKey?: number): void {
    this.storage.total = total;
    if (perKey !== undefined) this.storage.perKey = perKey;
  }

  /** The user taps `<button open-type="agreePrivacyAuthorization">`: privacy APIs work from now on. */
  agreePrivacy(): void {
    this.privacyAgreed = true;
  }

  /**
   * The user taps the page's `<button open-type="agreePrivacyAuthorization">`: the agreement is
   * recorded, then its `bindagreeprivacyauthorization` handler runs.
   */
  tapAgreePrivacy(): unknown {
    const element = this.findElement({ openType: 'agreePrivacyAuthorization' });
    this.agreePrivacy();
    const handler = element.attrs.bindagreeprivacyauthorization;
    if (!handler) return undefined;
    const values = this.currentPage?.data ?? {};
    return this.tap(handler, datasetOf(element.attrs, values), {
      id: String(evaluate(element.id ?? '', values)),
      type: 'agreeprivacyauthorization',
    });
  }

  /** The listener wx.onNeedPrivacyAuthorization keeps (the last one registered). */
  get privacyListener(): Fn | undefined {
    return this.activePrivacyListener;
  }

  /** Requests in flight now. */
  get pendingRequests(): RequestRecord[] {
    return [...this.inFlight].map((r) => r.record);
  }

  /** Stops everything: timers, held callbacks, requests. The instance is unusable afterwards. */
  close(): void {
    for (const request of [...this.inFlight]) request.settle('fail', 'closed');
    this.state = 'closed';
    for (const handle of [...this.hostTimers]) this.clearHost(handle);
    this.timers.clear();
    this.held.length = 0;
  }

  // ─── Network ────────────────────────────────────────────────────────────────────────────────

  /**
   * wx.request / my.request: a real HTTP request with node's fetch. WeChat calls `success` for any
   * HTTP status with {data, statusCode, header, cookies, errMsg:'request:ok'} and parses JSON when
   * dataType is 'json' (the default); failures call `fail` with {errMsg:'request:fail …', errno}
   * (Errno 错误码: 600001 cronet error, 600003 interrupted, 600007 exceed max task count; 5 timeout).
   */
  private request(opts: Record<string, any>): Record<string, Fn> {
    const wechatLike = this.platform !== 'alipay';
    const task = {
      abort: () => {
        for (const request of this.inFlight)
          if (request.record.id === record.id) request.settle('fail', 'abort');
      },
      onHeadersReceived: () => {},
      offHeadersReceived: () => {},
      onChunkReceived: () => {},
      offChunkReceived: () => {},
    };
    const cb = opts as Callbacks;
    const method = String(opts.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((wechatLike ? opts.header : (opts.headers ?? opts.header)) ?? {})) {
      if (k.toLowerCase() !== 'referer') headers[k.toLowerCase()] = String(v);
    }
    headers['content-type'] ??= 'application/json';
    headers['user-agent'] = USER_AGENT[this.platform](this.appId);
    if (this.platform === 'wechat')
      headers.referer = `https://servicewechat.com/${this.appId}/0/page-frame.html`;
    let url = String(opts.url ?? '');
    let body: string | undefined;
    const data = opts.data;
    if (data !== undefined && data !== null) {
      if (method === 'GET' && typeof data === 'object') {
        const q = new URLSearchParams(Object.entries(data).map(([k, v]) => [k, String(v)])).toString();
        url += (url.includes('?') ? '&' : '?') + q;
      } else if (typeof data === 'string') body = data;
      else if (headers['content-type'].includes('application/x-www-form-urlencoded')) {
        body = new URLSearchParams(Object.entries(data).map(([k, v]) => [k, String(v)])).toString();
      } else body = JSON.stringify(data);
    }
    const record: RequestRecord = {
      id: this.nextRequestId++,
      url,
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...batchOf(body),
      startedAt: Date.now(),
      outcome: 'pending',
      answered: false,
      appState: this.state,
    };
    this.requests.push(record);
    const failWith = (reason: string) => {
      record.outcome = 'fail';
      record.settledAt = Date.now();
      const res = wechatLike ? wxNetworkError(reason) : myNetworkError(reason);
      record.errMsg = String(
        (res as Record<string, unknown>).errMsg ?? (res as Record<string, unknown>).errorMessage,
      );
      this.respond(cb, false, this.out(res));
    };
    if (this.state === 'suspended') {
      failWith('suspended');
      return task;
    }
    if (!this.online) {
      failWith('offline');
      return task;
    }
    if (this.inFlight.size >= (this.options.maxConcurrentRequests ?? 10)) {
      failWith('exceed');
      return task;
    }
    const controller = new AbortController();
    const timeoutMs = Number(opts.timeout) || this.options.requestTimeoutMs || (wechatLike ? 60_000 : 30_000);
    let settled = false;
    const entry: InFlight = {
      record,
      controller,
      settle: (_how, reason) => {
        if (settled) return;
        settled = true;
        entry.reason = reason;
        if (entry.timer) this.clearHost(entry.timer);
        this.inFlight.delete(entry);
        controller.abort();
        failWith(reason);
      },
    };
    this.inFlight.add(entry);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight.size);
    entry.timer = this.hostTimeout(() => entry.settle('fail', 'timeout'), timeoutMs);
    // wx: 'json' by default; my: 'json_or_text' since base library 2.9.5 (JSON when it parses).
    const dataType = String(opts.dataType ?? (wechatLike ? 'json' : 'json_or_text'));
    void (async () => {
      let status: number;
      let responseHeaders: Record<string, string>;
      let text: string;
      try {
        const response = await fetch(url, { method, headers, body, signal: controller.signal });
        status = response.status;
        responseHeaders = Object.fromEntries(response.headers.entries());
        text = await response.text();
      } catch {
        // Aborts settle before the fetch rejects; what is left is a connection that failed.
        if (!settled) entry.settle('fail', 'refused');
        return;
      }
      record.answered = true;
      record.status = status;
      if (this.latencyMs > 0)
        await new Promise((done) => this.hostTimeout(() => done(undefined), this.latencyMs));
      if (settled) return;
      settled = true;
      if (entry.timer) this.clearHost(entry.timer);
      this.inFlight.delete(entry);
      record.settledAt = Date.now();
      let parsed: unknown = text;
      if (dataType === 'json' || dataType === 'json_or_text') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (wechatLike) {
        record.outcome = 'success';
        record.errMsg = 'request:ok';
        this.respond(
          cb,
          true,
          this.out({
            data: parsed,
            statusCode: status,
            header: responseHeaders,
            cookies: [],
            errMsg: 'request:ok',
          }),
        );
      } else if (status >= 200 && status < 300) {
        record.outcome = 'success';
        this.respond(cb, true, this.out({ data: parsed, status, headers: responseHeaders }));
      } else {
        // my.request: an HTTP status outside 2xx is error 19 ("HTTP错误"), with the answer attached.
        record.outcome = 'fail';
        record.errMsg = 'http status error';
        this.respond(
          cb,
          false,
          this.out({
            error: 19,
            errorMessage: 'http status error',
            status,
            headers: responseHeaders,
            data: parsed,
          }),
        );
      }
    })();
    return task;
  }

  // ─── The wx object ──────────────────────────────────────────────────────────────────────────

  private buildWx(): Record<string, any> {
    const name = API_NAME[this.platform];
    const wechat = this.platform === 'wechat';
    const storage = this.storage;
    const forbid = (api: string, why: string) => () => {
      this.forbiddenCalls.push(`${name}.${api}`);
      throw new Error(`${name}.${api} is not available in this fake: ${why}`);
    };
    const device = { ...DEVICE, ...this.options.device };
    const api: Record<string, any> = {
      request: (o: Record<string, any>) => this.request(o ?? {}),

      // Storage (wx.setStorage & co): async ops apply in order, each in its own task.
      setStorage: (o: Record<string, any>) => {
        const result = storage.set('setStorage', o?.key, o?.data);
        this.respond(
          o,
          result.ok,
          this.out(result.ok ? { errMsg: 'setStorage:ok' } : { errMsg: result.errMsg }),
        );
      },
      setStorageSync: (key: string, data: unknown) => {
        const result = storage.set('setStorageSync', key, data);
        if (!result.ok) throw new Error(result.errMsg);
      },
      getStorage: (o: Record<string, any>) => {
        const found = storage.has(o?.key);
        const res = found
          ? { data: storage.get(o.key), errMsg: 'getStorage:ok' }
          : { errMsg: 'getStorage:fail data not found' };
        this.respond(o, found, this.out(res));
      },
      getStorageSync: (key: string) => (storage.has(key) ? this.out(storage.get(key)) : ''),
      removeStorage: (o: Record<string, any>) => {
        storage.remove('removeStorage', o?.key);
        this.respond(o, true, this.ok('removeStorage'));
      },
      removeStorageSync: (key: string) => void storage.remove('removeStorageSync', key),
      clearStorage: (o?: Record<string, any>) => {
        storage.clear('clearStorage');
        this.respond(o, true, this.ok('clearStorage'));
      },
      clearStorageSync: () => storage.clear('clearStorageSync'),
      getStorageInfo: (o: Record<string, any>) =>
        this.respond(o, true, this.ok('getStorageInfo', storage.info())),
      getStorageInfoSync: () => this.out(storage.info()),

      // Network status.
      getNetworkType: (o: Record<string, any>) =>
        this.respond(
          o,
          true,
          this.ok('getNetworkType', {
            networkType: this.online ? 'wifi' : 'none',
            signalStrength: 0,
            hasSystemProxy: false,
            weakNet: false,
          }),
        ),
      onNetworkStatusChange: (listener: Fn) => void this.listeners.network.push(listener),
      offNetworkStatusChange: (listener?: Fn) => remove(this.listeners.network, listener),

      // App lifecycle events.
      onAppShow: (listener: Fn) => void this.listeners.appShow.push(listener),
      offAppShow: (listener?: Fn) => remove(this.listeners.appShow, listener),
      onAppHide: (listener: Fn) => void this.listeners.appHide.push(listener),
      offAppHide: (listener?: Fn) => remove(this.listeners.appHide, listener),
      onError: (listener: Fn) => void this.listeners.error.push(listener),
      offError: (listener?: Fn) => remove(this.listeners.error, listener),
      getLaunchOptionsSync: () => this.out(this.launchOptions ?? null),
      getEnterOptionsSync: () => this.out(this.enterOptions ?? null),

      // Routing (asynchronous, with callbacks).
      navigateTo: (o: Record<string, any>) => this.routeApi('navigateTo', o, (r, q) => this.navigateTo(r, q)),
      redirectTo: (o: Record<string, any>) => this.routeApi('redirectTo', o, (r, q) => this.redirectTo(r, q)),
      reLaunch: (o: Record<string, any>) => this.routeApi('reLaunch', o, (r, q) => this.reLaunch(r, q)),
      switchTab: (o: Record<string, any>) => this.routeApi('switchTab', o, (r, q) => this.reLaunch(r, q)),
      navigateBack: (o: Record<string, any> = {}) =>
        this.deliver(() => {
          try {
            this.navigateBack(Number(o.delta) || 1);
            this.run(() => o.success?.(this.ok('navigateBack')));
          } catch (error) {
            this.run(() => o.fail?.(this.out({ errMsg: String((error as Error).message) })));
          }
          this.run(() => o.complete?.(this.ok('navigateBack')));
        }),
      stopPullDownRefresh: (o?: Record<string, any>) => this.respond(o, true, this.ok('stopPullDownRefresh')),

      // Device and account (getSystemInfo* is deprecated since base library 2.20.1).
      getDeviceInfo: () =>
        this.out({
          abi: '',
          deviceAbi: '',
          benchmarkLevel: -1,
          brand: device.brand,
          model: device.model,
          system: device.system,
          platform: device.platform,
          cpuType: '',
          memorySize: '8192',
        }),
      getWindowInfo: () =>
        this.out({
          pixelRatio: device.pixelRatio,
          screenWidth: device.screenWidth,
          screenHeight: device.screenHeight,
          windowWidth: device.windowWidth,
          windowHeight: device.windowHeight,
          statusBarHeight: device.statusBarHeight,
          safeArea: {
            left: 0,
            right: device.screenWidth,
            top: 59,
            bottom: 818,
            width: device.screenWidth,
            height: 759,
          },
          screenTop: 0,
        }),
      getAppBaseInfo: () =>
        this.out({
          SDKVersion: device.SDKVersion,
          enableDebug: false,
          host: {},
          language: device.language,
          version: device.version,
          theme: 'light',
          fontSizeScaleFactor: 1,
          fontSizeSetting: 17,
        }),
      getAccountInfoSync: () =>
        this.out({
          miniProgram: {
            appId: this.appId,
            envVersion: this.options.envVersion ?? 'release',
            version: this.options.version ?? '1.0.0',
          },
        }),

      // Privacy (基础库 2.32.3).
      getPrivacySetting: (o: Record<string, any>) =>
        this.respond(
          o,
          true,
          this.ok('getPrivacySetting', {
            needAuthorization: !this.privacyAgreed,
            privacyContractName: this.options.privacy?.privacyContractName ?? '《demo 小程序隐私保护指引》',
          }),
        ),
      onNeedPrivacyAuthorization: (listener: Fn) => {
        this.privacyListenerRegistrations.push(listener);
        this.activePrivacyListener = listener;
      },
      requirePrivacyAuthorize: (o: Record<string, any> = {}) => this.requirePrivacyAuthorize(o),
      openPrivacyContract: (o?: Record<string, any>) => this.respond(o, true, this.ok('openPrivacyContract')),

      // What the demo app uses besides.
      login: (o: Record<string, any>) =>
        this.respond(o, true, this.ok('login', { code: this.options.loginCode ?? 'fake-login-code' })),
      requestPayment: (o: Record<string, any>) => {
        const paid = (this.options.payment ?? 'ok') === 'ok';
        this.respond(
          o,
          paid,
          this.out({ errMsg: paid ? 'requestPayment:ok' : 'requestPayment:fail cancel' }),
        );
      },
      showToast: (o?: Record<string, any>) => this.respond(o, true, this.ok('showToast')),
      hideToast: (o?: Record<string, any>) => this.respond(o, true, this.ok('hideToast')),
      showLoading: (o?: Record<string, any>) => this.respond(o, true, this.ok('showLoading')),
      hideLoading: (o?: Record<string, any>) => this.respond(o, true, this.ok('hideLoading')),
      showModal: (o?: Record<string, any>) =>
        this.respond(o, true, this.ok('showModal', { confirm: true, cancel: false })),
      showShareMenu: (o?: Record<string, any>) => this.respond(o, true, this.ok('showShareMenu')),
      setNavigationBarTitle: (o?: Record<string, any>) =>
        this.respond(o, true, this.ok('setNavigationBarTitle')),
      canIUse: (schema: string) => typeof api[String(schema).split('.')[0] ?? ''] === 'function',

      // Privacy interfaces and location: the SDK must never touch them (DESIGN.md).
      getLocation: forbid('getLocation', 'a privacy interface'),
      getFuzzyLocation: forbid('getFuzzyLocation', 'a privacy interface'),
      chooseLocation: forbid('chooseLocation', 'a privacy interface'),
      startLocationUpdate: forbid('startLocationUpdate', 'a privacy interface'),
      onLocationChange: forbid('onLocationChange', 'a privacy interface'),
      getUserProfile: forbid('getUserProfile', 'a privacy interface'),
      getUserInfo: forbid('getUserInfo', 'a privacy interface'),
      getClipboardData: forbid('getClipboardData', 'a privacy interface'),
    };
    if (wechat) {
      const why = 'deprecated since base library 2.20.1; use getDeviceInfo/getWindowInfo/getAppBaseInfo';
      api.getSystemInfo = forbid('getSystemInfo', why);
      api.getSystemInfoSync = forbid('getSystemInfoSync', why);
      api.getSystemInfoAsync = forbid('getSystemInfoAsync', why);
    } else {
      // Douyin, Baidu and QQ still document getSystemInfoSync as their main system API.
      const info = () =>
        this.out({ ...api.getDeviceInfo(), ...api.getWindowInfo(), ...api.getAppBaseInfo() });
      api.getSystemInfoSync = info;
      api.getSystemInfo = (o: Record<string, any>) =>
        this.respond(o, true, { ...info(), errMsg: 'getSystemInfo:ok' });
    }
    return this.recorded(api, name);
  }

  /**
   * wx.requirePrivacyAuthorize: success at once when the user agreed; otherwise the (last)
   * onNeedPrivacyAuthorization listener gets resolve({event:'agree'|'disagree'}), or, with no
   * listener, the platform's own popup answers.
   */
  private requirePrivacyAuthorize(o: Record<string, any>): void {
    if (this.privacyAgreed) return this.respond(o, true, this.ok('requirePrivacyAuthorize'));
    const listener = this.activePrivacyListener;
    if (!listener) {
      const agree = (this.options.platformPrivacyPopup ?? 'agree') === 'agree';
      if (agree) this.privacyAgreed = true;
      return this.respond(
        o,
        agree,
        this.out({
          errMsg: agree
            ? 'requirePrivacyAuthorize:ok'
            : 'requirePrivacyAuthorize:fail privacy permission is not authorized',
        }),
      );
    }
    let answered = false;
    const resolve = (r: { event?: string } = {}) => {
      if (r.event === 'exposureAuthorization' || answered) return;
      answered = true;
      const agree = r.event === 'agree';
      if (agree) this.privacyAgreed = true;
      this.respond(
        o,
        agree,
        this.out({
          errMsg: agree
            ? 'requirePrivacyAuthorize:ok'
            : 'requirePrivacyAuthorize:fail privacy permission is not authorized',
        }),
      );
    };
    this.deliver(() => listener(resolve, this.out({ referrer: 'requirePrivacyAuthorize' })));
  }

  private routeApi(
    api: string,
    o: Record<string, any> = {},
    go: (route: string, query: Record<string, string>) => unknown,
  ): void {
    this.deliver(() => {
      const { route, query } = parsePath(String(o.url ?? ''));
      let res: Record<string, unknown>;
      let ok = true;
      if (!this.pageDefs.has(route)) {
        ok = false;
        res = this.out({ errMsg: `${api}:fail page "${route}" is not found` });
      } else {
        try {
          go(route, query);
          res = this.ok(api);
        } catch (error) {
          ok = false;
          res = this.out({ errMsg: String((error as Error).message) });
        }
      }
      this.run(() => (ok ? o.success : o.fail)?.(res));
      this.run(() => o.complete?.(res));
    });
  }

  /** Records every API call by name (for "the SDK never called X" assertions). */
  private recorded(api: Record<string, any>, name: string): Record<string, any> {
    for (const [key, value] of Object.entries(api)) {
      if (typeof value !== 'function') continue;
      api[key] = (...args: unknown[]) => {
        this.apiCalls.push(`${name}.${key}`);
        return value(...args);
      };
    }
    return api;
  }

  // ─── The my object (Alipay) ─────────────────────────────────────────────────────────────────

  /**
   * Alipay's `my`: my.request({url, method, data, headers, dataType, timeout}) → success({status,
   * headers, data}) / fail({error, errorMessage}); storage whose sync API takes objects
   * (my.getStorageSync({key}) → {data}; my.setStorageSync({key, data}) returns the same result the
   * async callbacks get instead of throwing); my.getSystemInfoSync(); no privacy APIs.
   */
  private buildMy(): Record<string, any> {
    const storage = this.storage;
    const device = { ...DEVICE, ...this.options.device };
    const fail = (message: string) => ({ error: message.includes('item') ? 15 : 16, errorMessage: message });
    const systemInfo = () => ({
      app: 'alipay',
      platform: 'iOS',
      brand: device.brand,
      model: device.model,
      system: device.system.replace(/^iOS /, ''),
      pixelRatio: device.pixelRatio,
      screenWidth: device.screenWidth,
      screenHeight: device.screenHeight,
      windowWidth: device.windowWidth,
      windowHeight: device.windowHeight,
      statusBarHeight: 47,
      titleBarHeight: 44,
      language: 'zh-Hans',
      version: '10.5.90',
      fontSizeSetting: 16,
      storage: '256 GB',
      currentBattery: '80%',
    });
    const api: Record<string, any> = {
      request: (o: Record<string, any>) => this.request(o ?? {}),
      httpRequest: (o: Record<string, any>) => this.request(o ?? {}),

      setStorage: (o: Record<string, any>) => {
        const r = storage.set('setStorage', o?.key, o?.data);
        this.respond(o, r.ok, this.out(r.ok ? { success: true } : fail(stripPrefix(r.errMsg))));
      },
      setStorageSync: (o: Record<string, any>) => {
        const r = storage.set('setStorageSync', o?.key, o?.data);
        return this.out(r.ok ? { success: true } : fail(stripPrefix(r.errMsg)));
      },
      getStorage: (o: Record<string, any>) =>
        this.respond(o, true, this.out({ data: storage.has(o?.key) ? storage.get(o.key) : null })),
      getStorageSync: (o: Record<string, any>) =>
        this.out({ data: storage.has(o?.key) ? storage.get(o.key) : null }),
      removeStorage: (o: Record<string, any>) => {
        storage.remove('removeStorage', o?.key);
        this.respond(o, true, this.out({ success: true }));
      },
      removeStorageSync: (o: Record<string, any>) => {
        storage.remove('removeStorageSync', o?.key);
        return this.out({ success: true });
      },
      clearStorage: (o?: Record<string, any>) => {
        storage.clear('clearStorage');
        this.respond(o, true, this.out({ success: true }));
      },
      clearStorageSync: () => storage.clear('clearStorageSync'),
      getStorageInfo: (o: Record<string, any>) => this.respond(o, true, this.out(storage.info())),
      getStorageInfoSync: () => this.out(storage.info()),

      getNetworkType: (o: Record<string, any>) =>
        this.respond(
          o,
          true,
          this.out({ networkAvailable: this.online, networkType: this.online ? 'WIFI' : 'NOTREACHABLE' }),
        ),
      onNetworkStatusChange: (listener: Fn) => void this.listeners.network.push(listener),
      offNetworkStatusChange: (listener?: Fn) => remove(this.listeners.network, listener),
      onAppShow: (listener: Fn) => void this.listeners.appShow.push(listener),
      offAppShow: (listener?: Fn) => remove(this.listeners.appShow, listener),
      onAppHide: (listener: Fn) => void this.listeners.appHide.push(listener),
      offAppHide: (listener?: Fn) => remove(this.listeners.appHide, listener),
      onError: (listener: Fn) => void this.listeners.error.push(listener),
      offError: (listener?: Fn) => remove(this.listeners.error, listener),
      getLaunchOptionsSync: () => this.out(this.launchOptions ?? null),
      getEnterOptionsSync: () => this.out(this.enterOptions ?? null),

      navigateTo: (o: Record<string, any>) => this.routeApi('navigateTo', o, (r, q) => this.navigateTo(r, q)),
      redirectTo: (o: Record<string, any>) => this.routeApi('redirectTo', o, (r, q) => this.redirectTo(r, q)),
      reLaunch: (o: Record<string, any>) => this.routeApi('reLaunch', o, (r, q) => this.reLaunch(r, q)),
      switchTab: (o: Record<string, any>) => this.routeApi('switchTab', o, (r, q) => this.reLaunch(r, q)),
      navigateBack: (o: Record<string, any> = {}) =>
        this.deliver(() => {
          this.navigateBack(Number(o.delta) || 1);
          this.run(() => o.success?.(this.out({})));
          this.run(() => o.complete?.(this.out({})));
        }),
      stopPullDownRefresh: (o?: Record<string, any>) => this.respond(o, true, this.out({})),

      getSystemInfoSync: () => this.out(systemInfo()),
      getSystemInfo: (o: Record<string, any>) => this.respond(o, true, this.out(systemInfo())),
      getAccountInfoSync: () =>
        this.out({
          miniProgram: {
            appId: this.appId,
            envVersion: this.options.envVersion ?? 'release',
            version: this.options.version ?? '1.0.0',
          },
        }),

      getAuthCode: (o: Record<string, any>) =>
        this.respond(
          o,
          true,
          this.out({
            authCode: this.options.loginCode ?? 'fake-auth-code',
            authErrorScopes: {},
            authSuccessScopes: ['auth_base'],
          }),
        ),
      tradePay: (o: Record<string, any>) =>
        this.respond(
          o,
          true,
          this.out({ resultCode: (this.options.payment ?? 'ok') === 'ok' ? '9000' : '6001' }),
        ),
      showToast: (o?: Record<string, any>) => this.respond(o, true, this.out({})),
      showLoading: (o?: Record<string, any>) => this.respond(o, true, this.out({})),
      hideLoading: (o?: Record<string, any>) => this.respond(o, true, this.out({})),
      alert: (o?: Record<string, any>) => this.respond(o, true, this.out({})),
      canIUse: (schema: string) => typeof api[String(schema).split('.')[0] ?? ''] === 'function',

      getLocation: () => {
        this.forbiddenCalls.push('my.getLocation');
        throw new Error('my.getLocation is not available in this fake: a privacy interface');
      },
    };
    return this.recorded(api, 'my');
  }
}

/** Storage of one device: JSON copies, quotas measured on the JSON size, every mutation recorded. */
export class FakeStorage {
  readonly writes: StorageWrite[] = [];
  private readonly values = new Map<string, string>();

  constructor(
    public perKey: number,
    public total: number,
    initial?: Record<string, unknown>,
  ) {
    for (const [key, value] of Object.entries(initial ?? {})) this.values.set(key, JSON.stringify(value));
  }

  /** Bytes used now (UTF-8 length of every stored JSON value). */
  get used(): number {
    let sum = 0;
    for (const value of this.values.values()) sum += Buffer.byteLength(value);
    return sum;
  }

  has(key: unknown): boolean {
    return typeof key === 'string' && this.values.has(key);
  }

  /** A deep copy of the stored value (host realm). */
  get(key: string): unknown {
    const raw = this.values.get(key);
    return raw === undefined ? undefined : JSON.parse(raw);
  }

  /**
   * Writes a value, failing as WeChat does: over the per-key limit "exceed storage item max
   * length", over the total "exceed storage max size 10Mb" (messages of the client's KV storage).
   */
  set(api: string, key: unknown, data: unknown): { ok: true } | { ok: false; errMsg: string } {
    const at = Date.now();
    if (typeof key !== 'string' || key === '') {
      const errMsg = `${api}:fail parameter error: parameter.key should be String`;
      this.writes.push({ api, bytes: 0, ok: false, errMsg, at });
      return { ok: false, errMsg };
    }
    const json = JSON.stringify(data === undefined ? '' : data);
    const bytes = Buffer.byteLength(json);
    let errMsg: string | undefined;
    if (bytes > this.perKey) errMsg = `${api}:fail exceed storage item max length`;
    else if (this.used - Buffer.byteLength(this.values.get(key) ?? '') + bytes > this.total) {
      errMsg = `${api}:fail exceed storage max size 10Mb`;
    }
    this.writes.push({ api, key, bytes, ok: !errMsg, ...(errMsg ? { errMsg } : {}), at });
    if (errMsg) return { ok: false, errMsg };
    this.values.set(key, json);
    return { ok: true };
  }

  remove(api: string, key: unknown): void {
    this.writes.push({
      api,
      ...(typeof key === 'string' ? { key } : {}),
      bytes: 0,
      ok: true,
      at: Date.now(),
    });
    if (typeof key === 'string') this.values.delete(key);
  }

  clear(api: string): void {
    this.writes.push({ api, bytes: 0, ok: true, at: Date.now() });
    this.values.clear();
  }

  /** getStorageInfo: keys, currentSize and limitSize in KB. */
  info(): { keys: string[]; currentSize: number; limitSize: number } {
    return {
      keys: [...this.values.keys()],
      currentSize: Math.ceil(this.used / 1024),
      limitSize: Math.floor(this.total / 1024),
    };
  }

  /** Everything stored, as plain values (to start another launch on the same device). */
  snapshot(): Record<string, unknown> {
    return Object.fromEntries([...this.values].map(([k, v]) => [k, JSON.parse(v)]));
  }
}

// ─── Helpers ──────────────────────────────────────────────────────────────────────────────────

function wxNetworkError(reason: string): Record<string, unknown> {
  switch (reason) {
    case 'timeout':
      return { errMsg: 'request:fail timeout', errno: 5 };
    case 'interrupted':
      return { errMsg: 'request:fail interrupted', errno: 600003 };
    case 'exceed':
      return { errMsg: 'request:fail exceed max task count', errno: 600007 };
    case 'offline':
      return { errMsg: 'request:fail -106:net::ERR_INTERNET_DISCONNECTED', errno: 600001 };
    case 'abort':
    case 'closed':
      return { errMsg: 'request:fail abort', errno: 1 };
    case 'suspended':
      return {
        errMsg:
          'request:fail createRequestTask:fail: jsapi has no permission, event=createRequestTask, ' +
          'runningState=suspend, permissionMsg=permission ok, detail=network api interrupted in suspend state',
        errno: 102,
      };
    default:
      return { errMsg: 'request:fail -102:net::ERR_CONNECTION_REFUSED', errno: 600001 };
  }
}

function myNetworkError(reason: string): Record<string, unknown> {
  if (reason === 'timeout') return { error: 13, errorMessage: '超时' };
  if (reason === 'abort' || reason === 'closed') return { error: 9, errorMessage: '请求已被取消' };
  return { error: 12, errorMessage: '网络出错' };
}

function stripPrefix(errMsg: string): string {
  return errMsg.replace(/^\w+:fail /, '');
}

function remove(list: Fn[], listener?: Fn): void {
  if (!listener) list.length = 0;
  else {
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
  }
}

/** `/pages/a/a?x=1&y=2` → route `pages/a/a`, query `{x:'1', y:'2'}` (values left as written). */
export function parsePath(path: string): { route: string; query: Record<string, string> } {
  const [rawRoute = '', search = ''] = path.split('?', 2);
  const query: Record<string, string> = {};
  for (const pair of search.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    query[at < 0 ? pair : pair.slice(0, at)] = at < 0 ? '' : pair.slice(at + 1);
  }
  return { route: rawRoute.replace(/^\/+/, '').replace(/\.js$/, ''), query };
}

/** `{a:'1'}` → `?a=1` (empty string for no query). */
export function queryString(query: Record<string, string> = {}): string {
  const pairs = Object.entries(query).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? `?${pairs.join('&')}` : '';
}

function setPath(target: Record<string, any>, path: string, value: unknown): void {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node: Record<string, any> = target;
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) node[part] = value;
    else {
      if (typeof node[part] !== 'object' || node[part] === null)
        node[part] = /^\d+$/.test(parts[i + 1] ?? '') ? [] : {};
      node = node[part];
    }
  }
}

function resolveFile(base: string): string {
  for (const candidate of [base, `${base}.js`, `${base}.json`, join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  const pkg = join(base, 'package.json');
  if (existsSync(pkg)) {
    // WeChat's npm build takes the `miniprogram` folder of a package, else its `main`.
    const { miniprogram, main } = JSON.parse(readFileSync(pkg, 'utf8')) as {
      miniprogram?: string;
      main?: string;
    };
    if (miniprogram) return resolveFile(join(base, miniprogram, 'index.js'));
    if (main) return resolveFile(join(base, main));
  }
  return base;
}

function batchOf(body: string | undefined): { messageIds: string[]; names: string[] } {
  if (!body) return { messageIds: [], names: [] };
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const batch = (Array.isArray(parsed.batch) ? parsed.batch : [parsed]) as Record<string, unknown>[];
    return {
      messageIds: batch.map((e) => String(e.messageId)),
      names: batch.map((e) => String(e.type === 'track' ? e.event : (e.name ?? e.type))),
    };
  } catch {
    return { messageIds: [], names: [] };
  }
}
