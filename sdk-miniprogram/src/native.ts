import type { JsonObject, MiniProgramPlatform } from '@trail/sdk-core';

/** Callback-style options every mini-program API takes. */
interface Callbacks<T> {
  success?: (res: T) => void;
  fail?: (err: { errMsg?: string }) => void;
}

/** The slice of a mini-program global (`wx`, `my`, `tt`, `swan`, `qq`) the SDK uses. */
export interface NativeApi {
  request(
    o: {
      url: string;
      method: string;
      data: string;
      header?: Record<string, string>;
      headers?: Record<string, string>;
      dataType?: string;
      timeout?: number;
    } & Callbacks<{
      statusCode?: number;
      status?: number;
      header?: Record<string, string>;
      headers?: Record<string, string>;
    }>,
  ): void;
  getStorage(o: { key: string } & Callbacks<{ data: unknown }>): void;
  setStorage(o: { key: string; data: unknown } & Callbacks<unknown>): void;
  removeStorage(o: { key: string } & Callbacks<unknown>): void;
  getStorageInfo(o: Callbacks<{ keys: string[] }>): void;
  getStorageSync(key: string | { key: string }): unknown;
  setStorageSync(key: string | { key: string; data: unknown }, data?: unknown): void;
  removeStorageSync(key: string | { key: string }): void;
  getNetworkType(o: Callbacks<{ networkType: string }>): void;
  onNetworkStatusChange(cb: (res: { isConnected: boolean }) => void): void;
  getLaunchOptionsSync?(): LaunchOptions;
  getAccountInfoSync?(): { miniProgram?: { appId?: string; version?: string } };
  getDeviceInfo?(): Record<string, unknown>;
  getWindowInfo?(): Record<string, unknown>;
  getAppBaseInfo?(): Record<string, unknown>;
  getSystemInfoSync?(): Record<string, unknown>;
  getPrivacySetting?(o: Callbacks<{ needAuthorization: boolean }>): void;
}

/** How the app was opened or brought back (App onLaunch/onShow options). */
export interface LaunchOptions {
  scene?: number;
  path?: string;
  query?: Record<string, string>;
  referrerInfo?: { appId?: string; extraData?: JsonObject };
}

declare const wx: NativeApi | undefined;
declare const my: NativeApi | undefined;
declare const tt: NativeApi | undefined;
declare const swan: NativeApi | undefined;
declare const qq: NativeApi | undefined;

/**
 * The platform this code runs on. QQ and Douyin also answer to `wx` in places, so the more specific
 * globals are looked at first; `typeof` keeps undeclared globals from throwing.
 */
export function detect(): [MiniProgramPlatform, NativeApi] {
  if (typeof qq === 'object' && qq) return ['qq', qq];
  if (typeof tt === 'object' && tt) return ['douyin', tt];
  if (typeof swan === 'object' && swan) return ['baidu', swan];
  if (typeof my === 'object' && my) return ['alipay', my];
  if (typeof wx === 'object' && wx) return ['wechat', wx];
  throw new Error('trail: no mini-program runtime (wx, my, tt, swan or qq) found');
}
