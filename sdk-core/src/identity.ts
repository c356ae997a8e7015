import { uuid } from './ids.ts';
import { readJson, type SyncStore } from './platform.ts';
import type { CampaignContext, JsonObject, SessionContext } from './protocol.ts';

const KEY = 'trail_id';
const SESSION_MS = 30 * 60 * 1000;

interface Saved {
  a: string;
  u?: string;
  t?: JsonObject;
  s?: string;
  l?: number;
  /** First and last campaign touch of the session. */
  f?: CampaignContext;
  c?: CampaignContext;
}

/** Session fields of an event's context. */
export interface SessionFacts {
  session: SessionContext;
  campaign?: CampaignContext;
  firstCampaign?: CampaignContext;
}

/**
 * Who the user is (anonymousId `a`, userId `u`, traits `t`) and their session (new after 30 minutes
 * without an event), written to storage only while `_persist` is on; the session's campaign touches
 * only while `_marketing` is on too (else they live in memory).
 */
export interface Identity {
  _v: Saved;
  _persist: boolean;
  _marketing: boolean;
  /** The traits `userId` has with `traits` merged in: another user than the current one starts afresh. */
  _traits(userId: string | undefined, traits?: object): JsonObject;
  _set(userId: string | undefined, traits: JsonObject): void;
  /**
   * Session and campaign touches of an event made now; `start` marks a session's first event. A
   * `landing` campaign becomes the session's last touch (and its first, if it has none).
   */
  _session(now: number, landing?: CampaignContext): SessionFacts;
  /** A new anonymous person: new ids, no traits, no session. */
  _reset(): void;
  /** Forgets the person and removes what was stored, leaving nothing behind. */
  _forget(): void;
  _save(): void;
}

/** The identity remembered in `sync`, or a new anonymous one. */
export function createIdentity(sync: SyncStore): Identity {
  let written = 0;
  const saved = readJson<Saved>(sync, KEY);
  // An older version stored what identify({ traits }) passed as the userId: the collector refuses it.
  if (typeof saved?.u == 'object') delete saved.u;
  const id: Identity = {
    _v: typeof saved?.a == 'string' ? saved : { a: uuid() },
    _persist: false,
    _marketing: false,
    _traits: (userId, traits) =>
      ({ ...(id._v.u && id._v.u !== userId ? {} : id._v.t), ...traits }) as JsonObject,
    _set(userId, traits) {
      id._v.u = userId;
      id._v.t = traits;
      id._save();
    },
    _session(now, landing) {
      const v = id._v;
      const start = !v.s || now - (v.l ?? 0) > SESSION_MS;
      if (start) {
        v.s = uuid();
        v.f = v.c = undefined;
      }
      if (landing) {
        v.c = landing;
        v.f ??= landing;
      }
      v.l = now;
      // Activity is written at most every 5 s: one write per event would cost the main thread.
      if (start || now - written > 5000) id._save();
      return {
        session: { id: v.s as string, start },
        campaign: v.c,
        firstCampaign: v.f,
      };
    },
    _reset() {
      id._v = { a: uuid() };
      id._save();
    },
    _forget() {
      sync.set(KEY, null);
      id._v = { a: uuid() };
    },
    _save() {
      if (!id._persist) return;
      const v = id._v;
      written = v.l ?? 0;
      sync.set(KEY, JSON.stringify(id._marketing ? v : { ...v, f: undefined, c: undefined }));
    },
  };
  return id;
}
