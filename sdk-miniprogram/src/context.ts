import type { EventContext, MiniProgramContext, MiniProgramPlatform, ShareChain } from '@trail/sdk-core';
import type { NativeApi } from './native.ts';

/** Name and version in every event's `context.library`. */
export const LIBRARY = { name: 'trail-miniprogram', version: '0.1.0' };

/** What the SDK knows about the current visit: how it opened, where the user is, who shared it. */
export interface Visit {
  scene?: number;
  referrerInfo?: MiniProgramContext['referrerInfo'];
  share?: ShareChain;
  route?: string;
  query?: Record<string, string>;
}

type Info = Record<string, string | number | undefined>;

/**
 * Device facts read once: WeChat's split APIs where they exist (getSystemInfo is deprecated there),
 * getSystemInfoSync on the others. Model and OS only: nothing that identifies the device.
 */
function deviceInfo(api: NativeApi): Info {
  try {
    return (
      api.getDeviceInfo
        ? { ...api.getDeviceInfo(), ...api.getWindowInfo?.(), ...api.getAppBaseInfo?.() }
        : (api.getSystemInfoSync?.() ?? {})
    ) as Info;
  } catch {
    return {};
  }
}

/** A function giving the context of an event made now. */
export function contextOf(api: NativeApi, platform: MiniProgramPlatform, visit: Visit): () => EventContext {
  const info = deviceInfo(api);
  const [osName, osVersion] = String(info.system ?? '').split(' ');
  let account: ReturnType<NonNullable<NativeApi['getAccountInfoSync']>>;
  try {
    account = api.getAccountInfoSync?.() ?? {};
  } catch {
    account = {};
  }
  const fixed: EventContext = {
    library: LIBRARY,
    locale: info.language as string | undefined,
    screen: { width: info.screenWidth as number, height: info.screenHeight as number },
    os: { name: osName || info.platform, version: osVersion },
    device: { manufacturer: info.brand, model: info.model },
    app: { version: account.miniProgram?.version },
  };
  const appId = account.miniProgram?.appId;
  return () => ({
    ...fixed,
    miniprogram: {
      platform,
      appId,
      scene: visit.scene,
      path: visit.route,
      query: visit.query,
      referrerInfo: visit.referrerInfo,
      share: visit.share,
    },
  });
}
