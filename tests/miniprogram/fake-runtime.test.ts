import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.ts';
import { FakeMiniProgram, parsePath, type RuntimeOptions } from './fake-runtime.ts';
import { datasetKey, datasetOf } from './wxml.ts';

// The fake runtime is the test bed of the mini-program SDK, so it is tested on its own first:
// lifecycle order, quota errors, the concurrency limit, suspension, last-listener-wins privacy.
const FIXTURE = join(import.meta.dirname, 'fixtures/lifecycle');
const KB = 1024;
const MB = 1024 * KB;

let server: Server;
let base: string;
const runtimes: FakeMiniProgram[] = [];

/** A runtime with the lifecycle fixture loaded (not launched). */
function fixture(options: RuntimeOptions = {}): FakeMiniProgram {
  const rt = new FakeMiniProgram(options).loadApp(FIXTURE);
  runtimes.push(rt);
  return rt;
}

/** Calls a callback-style API inside the sandbox and resolves with what its callback got. */
function call(rt: FakeMiniProgram, api: string, options: Record<string, unknown> = {}) {
  return new Promise<{ ok: boolean; res: any; sync: boolean }>((done) => {
    let returned = false;
    rt.api[api]({
      ...options,
      success: (res: any) => done({ ok: true, res, sync: !returned }),
      fail: (res: any) => done({ ok: false, res, sync: !returned }),
    });
    returned = true;
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const ms = Number(url.searchParams.get('ms') ?? 0);
      setTimeout(() => {
        if (url.pathname === '/status/500') {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('broken');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' }).end(
          JSON.stringify({
            method: req.method,
            body,
            ua: req.headers['user-agent'],
            referer: req.headers.referer,
          }),
        );
      }, ms);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const rt of runtimes.splice(0)) rt.close();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

describe('lifecycle', () => {
  it('cold start: App.onLaunch → App.onShow → onLoad(query) → onShow → onReady, with launch options', () => {
    const rt = fixture().launch({ path: 'pages/home/home?x=1', scene: 1007 });
    expect(rt.app.log).toEqual([
      ['App.onLaunch', 'pages/home/home', 1007, { x: '1' }],
      ['App.onShow', 'pages/home/home', 1007],
      ['home.onLoad', { x: '1' }],
      ['home.onShow'],
      ['home.onReady'],
    ]);
    expect(rt.api.getLaunchOptionsSync()).toMatchObject({
      path: 'pages/home/home',
      scene: 1007,
      query: { x: '1' },
    });
    expect(rt.api.getEnterOptionsSync()).toMatchObject({ scene: 1007 });
    expect(rt.currentPage).toMatchObject({ route: 'pages/home/home', options: { x: '1' } });
    expect(rt.evaluate('getCurrentPages().length')).toBe(1);
  });

  it('navigateTo hides the page below; navigateBack unloads the top one; redirectTo unloads', () => {
    const rt = fixture().launch();
    rt.app.log.length = 0;
    rt.navigateTo('pages/detail/detail', { id: 'a-1' });
    rt.navigateBack();
    rt.redirectTo('pages/detail/detail');
    expect(rt.app.log).toEqual([
      ['home.onHide'],
      ['detail.onLoad', { id: 'a-1' }],
      ['detail.onShow'],
      ['detail.onReady'],
      ['detail.onUnload'],
      ['home.onShow'],
      ['home.onUnload'],
      ['detail.onLoad', {}],
      ['detail.onShow'],
      ['detail.onReady'],
    ]);
    expect(rt.routeStack).toEqual(['pages/detail/detail']);
  });

  it('hide: Page.onHide → App.onHide → wx.onAppHide; show: App.onShow → wx.onAppShow → Page.onShow', () => {
    const rt = fixture().launch();
    const heard: string[] = [];
    rt.api.onAppHide(() => heard.push('onAppHide'));
    rt.api.onAppShow((o: any) => heard.push(`onAppShow ${o.scene}`));
    rt.app.log.length = 0;
    rt.hide();
    rt.show({ scene: 1089 });
    expect(rt.app.log).toEqual([
      ['home.onHide'],
      ['App.onHide'],
      ['App.onShow', 'pages/home/home', 1089],
      ['home.onShow'],
    ]);
    expect(heard).toEqual(['onAppHide', 'onAppShow 1089']);
    expect(rt.api.getEnterOptionsSync().scene).toBe(1089);
    expect(rt.api.getLaunchOptionsSync().scene).toBe(1001);
  });

  it('pages made with Component() take their lifecycles from methods', () => {
    const rt = fixture().launch({ path: 'pages/comp/comp?k=v' });
    expect(rt.app.log.slice(-3)).toEqual([['comp.attached'], ['comp.onLoad', { k: 'v' }], ['comp.onShow']]);
  });

  it('pull-down and reach-bottom call the page handlers', () => {
    const rt = fixture().launch();
    rt.pullDownRefresh();
    rt.reachBottom();
    expect(rt.app.log.slice(-2)).toEqual([['home.onPullDownRefresh'], ['home.onReachBottom']]);
  });

  it('taps an element of the WXML with its dataset and a WeChat tap event; setData takes paths', () => {
    const rt = fixture().launch();
    rt.tapElement({ track: 'Item Tapped' }, { item: { id: 'a-1', price: 12 } });
    expect(rt.app.log.at(-1)).toEqual([
      'home.onItemTap',
      'tap',
      'item-a-1',
      { track: 'Item Tapped', trackItemId: 'a-1', trackPrice: 12, elementtype: 'card' },
    ]);
    expect(rt.currentPage?.data).toMatchObject({ count: 1, items: [{ id: 'a-1', price: 13 }] });
  });

  it('wx.navigateTo from app code is asynchronous and calls success', async () => {
    const rt = fixture().launch();
    rt.tapElement({ id: 'go' });
    expect(rt.routeStack).toEqual(['pages/home/home']);
    await rt.idle();
    expect(rt.routeStack).toEqual(['pages/home/home', 'pages/detail/detail']);
    expect(rt.app.log.at(-1)).toEqual(['navigateTo.success', 'navigateTo:ok']);
  });

  it('errors thrown by app code are kept and reported to App.onError', () => {
    const rt = fixture().launch();
    rt.tap('onBoom');
    expect(rt.errors).toHaveLength(1);
    expect(rt.app.log.at(-1)).toEqual(['App.onError', 'boom']);
  });

  it('share: button target from the WXML, the async promise result wins; timeline', async () => {
    const rt = fixture().launch();
    const content = await rt.share('button');
    expect(rt.app.log.at(-1)).toEqual(['home.onShareAppMessage', 'button', 'share-btn']);
    expect(content).toEqual({ title: 'Home (async)', path: '/pages/home/home?from=share' });
    await rt.share('menu');
    expect(rt.app.log.at(-1)).toEqual(['home.onShareAppMessage', 'menu', null]);
    expect(await rt.share('timeline')).toMatchObject({ title: 'Timeline', query: 'a=1' });
  });

  it('the sandbox looks like a mini-program: no window, document, fetch or localStorage; no node modules', () => {
    const rt = fixture();
    expect(
      rt.evaluate('[typeof window, typeof document, typeof fetch, typeof localStorage, typeof process]'),
    ).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
    expect(rt.evaluate('typeof wx.request + typeof App + typeof Page + typeof getApp')).toBe(
      'functionfunctionfunctionfunction',
    );
    expect(() => rt.requireFile(join(FIXTURE, 'missing.js'))).toThrow(/module not found/);
  });
});

describe('system info and privacy', () => {
  it('WeChat: getDeviceInfo/getWindowInfo/getAppBaseInfo/getAccountInfoSync; getSystemInfo* throw', () => {
    const rt = fixture();
    expect(rt.api.getDeviceInfo()).toMatchObject({ brand: 'iPhone', platform: 'ios', system: 'iOS 17.4' });
    expect(rt.api.getWindowInfo()).toMatchObject({ pixelRatio: 3, screenWidth: 393, windowHeight: 759 });
    expect(rt.api.getAppBaseInfo()).toMatchObject({
      language: 'zh_CN',
      version: '8.0.47',
      SDKVersion: '3.4.1',
    });
    expect(rt.api.getAccountInfoSync()).toEqual({
      miniProgram: { appId: 'touristappid', envVersion: 'release', version: '1.0.0' },
    });
    expect(() => rt.api.getSystemInfoSync()).toThrow(/deprecated/);
    expect(() => rt.api.getLocation({})).toThrow(/privacy/);
    expect(rt.forbiddenCalls).toEqual(['wx.getSystemInfoSync', 'wx.getLocation']);
  });

  it('Douyin, Baidu and QQ get the wx fake under their own names', () => {
    for (const [platform, name] of [
      ['douyin', 'tt'],
      ['baidu', 'swan'],
      ['qq', 'qq'],
    ] as const) {
      const rt = fixture({ platform });
      expect(rt.evaluate(`typeof ${name}.request + typeof wx`)).toBe('functionundefined');
      expect(rt.api.getSystemInfoSync()).toMatchObject({ brand: 'iPhone', pixelRatio: 3 });
    }
  });

  it('Alipay: my.getSystemInfoSync, no wx, no privacy APIs', () => {
    const rt = fixture({ platform: 'alipay' });
    expect(rt.evaluate('typeof my.getSystemInfoSync + typeof wx + typeof my.getPrivacySetting')).toBe(
      'functionundefinedundefined',
    );
    expect(rt.api.getSystemInfoSync()).toMatchObject({ app: 'alipay', platform: 'iOS', language: 'zh-Hans' });
  });

  it('getPrivacySetting reports the agreement; requirePrivacyAuthorize goes to the LAST listener only', async () => {
    const rt = fixture({ privacy: { needAuthorization: true } });
    expect((await call(rt, 'getPrivacySetting')).res).toMatchObject({ needAuthorization: true });
    const first: string[] = [];
    const second: string[] = [];
    rt.api.onNeedPrivacyAuthorization(() => first.push('called'));
    const last = (resolve: (r: object) => void, info: { referrer: string }) => {
      second.push(info.referrer);
      resolve({ event: 'agree', buttonId: 'agree-btn' });
    };
    rt.api.onNeedPrivacyAuthorization(last);
    const result = await call(rt, 'requirePrivacyAuthorize');
    expect(result).toMatchObject({ ok: true, res: { errMsg: 'requirePrivacyAuthorize:ok' } });
    expect(first).toEqual([]);
    expect(second).toEqual(['requirePrivacyAuthorize']);
    expect(rt.privacyListenerRegistrations).toHaveLength(2);
    expect(rt.privacyListener).toBe(last);
    expect((await call(rt, 'getPrivacySetting')).res.needAuthorization).toBe(false);
  });

  it('agreePrivacy (the agree button) clears needAuthorization', async () => {
    const rt = fixture({ privacy: { needAuthorization: true } });
    rt.agreePrivacy();
    expect((await call(rt, 'getPrivacySetting')).res.needAuthorization).toBe(false);
  });
});

describe('storage', () => {
  it('async calls answer in a later task; values are JSON copies', async () => {
    const rt = fixture();
    const value = { a: [1, 2], d: 'x' };
    const set = await call(rt, 'setStorage', { key: 'k', data: value });
    expect(set).toEqual({ ok: true, res: { errMsg: 'setStorage:ok' }, sync: false });
    value.a.push(3);
    const got = await call(rt, 'getStorage', { key: 'k' });
    expect(got.res).toEqual({ data: { a: [1, 2], d: 'x' }, errMsg: 'getStorage:ok' });
    got.res.data.a.push(9);
    expect(rt.api.getStorageSync('k')).toEqual({ a: [1, 2], d: 'x' });
    expect(await call(rt, 'getStorage', { key: 'missing' })).toMatchObject({
      ok: false,
      res: { errMsg: 'getStorage:fail data not found' },
    });
    expect(rt.api.getStorageSync('missing')).toBe('');
  });

  it('WeChat: 1 MB per key, 10 MB in all; the sync API throws the same message', async () => {
    const rt = fixture();
    const big = 'x'.repeat(MB); // its JSON has two quotes more than 1 MB
    expect(await call(rt, 'setStorage', { key: 'big', data: big })).toMatchObject({
      ok: false,
      res: { errMsg: 'setStorage:fail exceed storage item max length' },
    });
    expect(() => rt.api.setStorageSync('big', big)).toThrow(
      'setStorageSync:fail exceed storage item max length',
    );
    const almost = 'y'.repeat(MB - 2);
    for (let i = 0; i < 10; i++) rt.api.setStorageSync(`k${i}`, almost);
    expect(() => rt.api.setStorageSync('one-more', 'z')).toThrow(
      'setStorageSync:fail exceed storage max size 10Mb',
    );
    rt.api.setStorageSync('k0', 'small'); // replacing a value frees its space first
    expect(rt.api.getStorageInfoSync()).toMatchObject({ limitSize: 10 * 1024, currentSize: 9 * 1024 + 1 });
    expect(rt.api.getStorageInfoSync().keys).toHaveLength(10);
  });

  it('a shrunk quota fails writes like a full storage; every write attempt is recorded', async () => {
    const rt = fixture();
    rt.setStorageQuota(100);
    rt.api.setStorageSync('a', 'x'.repeat(50));
    expect(() => rt.api.setStorageSync('b', 'x'.repeat(60))).toThrow(/exceed storage max size/);
    const info = await call(rt, 'getStorageInfo');
    expect(info.res).toMatchObject({ keys: ['a'], currentSize: 1, limitSize: 0 });
    rt.api.removeStorageSync('a');
    expect(rt.storage.writes.map((w) => [w.api, w.key, w.bytes, w.ok])).toEqual([
      ['setStorageSync', 'a', 52, true],
      ['setStorageSync', 'b', 62, false],
      ['removeStorageSync', 'a', 0, true],
    ]);
  });

  it('Alipay: 200 KB per key; the sync API takes objects and returns errors instead of throwing', async () => {
    const rt = fixture({ platform: 'alipay' });
    expect(rt.api.setStorageSync({ key: 'k', data: { n: 1 } })).toEqual({ success: true });
    expect(rt.api.getStorageSync({ key: 'k' })).toEqual({ data: { n: 1 } });
    expect(rt.api.getStorageSync({ key: 'none' })).toEqual({ data: null });
    const tooBig = rt.api.setStorageSync({ key: 'big', data: 'x'.repeat(200 * KB) });
    expect(tooBig).toMatchObject({ errorMessage: 'exceed storage item max length' });
    expect((await call(rt, 'setStorage', { key: 'big', data: 'x'.repeat(200 * KB) })).ok).toBe(false);
    rt.api.removeStorageSync({ key: 'k' });
    expect(rt.api.getStorageSync({ key: 'k' })).toEqual({ data: null });
  });

  it('keeps what an earlier launch stored', () => {
    const first = fixture();
    first.api.setStorageSync('kept', { v: 1 });
    const second = fixture({ initialStorage: first.storage.snapshot() });
    expect(second.api.getStorageSync('kept')).toEqual({ v: 1 });
    expect(second.storage.writes).toEqual([]);
  });
});

describe('network', () => {
  it('wx.request does real HTTP: success with statusCode, header and parsed JSON, for any status', async () => {
    const rt = fixture({ appId: 'wx-app' });
    const ok = await call(rt, 'request', { url: `${base}/json`, method: 'POST', data: { a: 1 } });
    expect(ok.sync).toBe(false);
    expect(ok.res).toMatchObject({ statusCode: 200, errMsg: 'request:ok', header: { 'x-test': 'yes' } });
    expect(ok.res.data).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(ok.res.data.ua).toMatch(/MicroMessenger\/.* miniProgram\/wx-app/);
    expect(ok.res.data.referer).toBe('https://servicewechat.com/wx-app/0/page-frame.html');
    const broken = await call(rt, 'request', { url: `${base}/status/500` });
    expect(broken).toMatchObject({ ok: true, res: { statusCode: 500, data: 'broken' } });
    expect(rt.requests.map((r) => [r.outcome, r.status])).toEqual([
      ['success', 200],
      ['success', 500],
    ]);
  });

  it('my.request: success({status, headers, data}); an HTTP error is fail with error 19', async () => {
    const rt = fixture({ platform: 'alipay' });
    const ok = await call(rt, 'request', { url: `${base}/json`, method: 'POST', data: { b: 2 } });
    expect(ok.res).toMatchObject({ status: 200, headers: { 'x-test': 'yes' }, data: { body: '{"b":2}' } });
    const broken = await call(rt, 'request', { url: `${base}/status/500` });
    expect(broken).toMatchObject({ ok: false, res: { error: 19, status: 500 } });
  });

  it('at most 10 requests at once; the 11th fails with "exceed max task count"', async () => {
    const rt = fixture();
    const calls = Array.from({ length: 12 }, () => call(rt, 'request', { url: `${base}/slow?ms=300` }));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok).map((r) => r.res)).toEqual([
      { errMsg: 'request:fail exceed max task count', errno: 600007 },
      { errMsg: 'request:fail exceed max task count', errno: 600007 },
    ]);
    expect(rt.maxConcurrent).toBe(10);
  });

  it('offline: requests fail with a network errMsg; onNetworkStatusChange and getNetworkType follow', async () => {
    const rt = fixture();
    const changes: unknown[] = [];
    rt.api.onNetworkStatusChange((res: unknown) => changes.push(res));
    const pending = call(rt, 'request', { url: `${base}/slow?ms=500` });
    await sleep(50);
    rt.setNetwork(false);
    expect((await pending).res).toEqual({
      errMsg: 'request:fail -106:net::ERR_INTERNET_DISCONNECTED',
      errno: 600001,
    });
    expect((await call(rt, 'request', { url: `${base}/json` })).ok).toBe(false);
    expect((await call(rt, 'getNetworkType')).res).toMatchObject({ networkType: 'none' });
    rt.setNetwork(true);
    expect((await call(rt, 'request', { url: `${base}/json` })).ok).toBe(true);
    await rt.idle();
    expect(changes).toEqual([
      { isConnected: false, networkType: 'none' },
      { isConnected: true, networkType: 'wifi' },
    ]);
  });

  it('a request over its timeout fails with "request:fail timeout"', async () => {
    const rt = fixture();
    const result = await call(rt, 'request', { url: `${base}/slow?ms=400`, timeout: 100 });
    expect(result.res).toEqual({ errMsg: 'request:fail timeout', errno: 5 });
  });
});

describe('suspension', () => {
  it('hidden longer than suspendAfterMs: pending requests fail "interrupted", delivered on show', async () => {
    const rt = fixture({ suspendAfterMs: 100 }).launch();
    const results: any[] = [];
    rt.api.request({ url: `${base}/slow?ms=400`, complete: (res: any) => results.push(res) });
    rt.hide();
    await sleep(200);
    expect(rt.state).toBe('suspended');
    await sleep(400);
    expect(results).toEqual([]); // JS is not running: no callback yet
    rt.show();
    await rt.idle();
    expect(results).toEqual([{ errMsg: 'request:fail interrupted', errno: 600003 }]);
    expect(rt.requests[0]).toMatchObject({ outcome: 'fail', errMsg: 'request:fail interrupted' });
  });

  it('a response that arrives while still within latency is interrupted too, though the server answered', async () => {
    const rt = fixture({ suspendAfterMs: 50, latencyMs: 300 }).launch();
    const results: any[] = [];
    rt.api.request({ url: `${base}/json`, complete: (res: any) => results.push(res) });
    rt.hide();
    await waitFor(() => expect(rt.state).toBe('suspended'));
    await waitFor(() => expect(rt.requests[0]?.answered).toBe(true));
    rt.show();
    await rt.idle();
    expect(results).toEqual([{ errMsg: 'request:fail interrupted', errno: 600003 }]);
  });

  it('timers stop while suspended and go on with the time they had left', async () => {
    const rt = fixture({ suspendAfterMs: 50 }).launch();
    const fired: string[] = [];
    rt.global.setTimeout(() => fired.push('timeout'), 150);
    const interval = rt.global.setInterval(() => fired.push('tick'), 40);
    rt.hide();
    await sleep(60);
    const ticksBefore = fired.filter((f) => f === 'tick').length;
    await sleep(300);
    expect(fired).not.toContain('timeout');
    expect(fired.filter((f) => f === 'tick').length).toBe(ticksBefore);
    expect(rt.pendingTimers().every((t) => t.paused)).toBe(true);
    rt.show();
    await waitFor(() => expect(fired).toContain('timeout'), { timeout: 1000, interval: 10 });
    rt.global.clearInterval(interval);
  });

  it('shown again before the deadline: nothing is suspended or interrupted', async () => {
    const rt = fixture({ suspendAfterMs: 200 }).launch();
    const pending = call(rt, 'request', { url: `${base}/slow?ms=100` });
    rt.hide();
    await sleep(50);
    rt.show();
    expect((await pending).ok).toBe(true);
    await sleep(250);
    expect(rt.state).toBe('foreground');
  });

  it('storage callbacks are held while suspended', async () => {
    const rt = fixture({ suspendAfterMs: 20 }).launch();
    rt.hide();
    await waitFor(() => expect(rt.state).toBe('suspended'), { interval: 5 });
    let answered = false;
    rt.api.setStorage({ key: 'k', data: 1, success: () => (answered = true) });
    await sleep(50);
    expect(answered).toBe(false);
    rt.show();
    await rt.idle();
    expect(answered).toBe(true);
  });
});

describe('helpers', () => {
  it('parses share paths without decoding values', () => {
    expect(parsePath('/pages/a/a?x=1&y=%2F')).toEqual({ route: 'pages/a/a', query: { x: '1', y: '%2F' } });
  });

  it('builds datasets the way WeChat does', () => {
    expect(datasetKey('track-product-id')).toBe('trackProductId');
    expect(datasetKey('elementType')).toBe('elementtype');
    expect(datasetOf({ 'data-n': '{{n}}', 'data-s': 'id-{{n}}', id: 'x' }, { n: 3 })).toEqual({
      n: 3,
      s: 'id-3',
    });
  });
});
