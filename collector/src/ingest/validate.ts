import type { TrailEvent } from '@trail/sdk-core/protocol';
import * as v from 'valibot';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const object = v.custom<Record<string, unknown>>(isObject, 'must be an object');
// Ids are compared as the text the client sent. JSON.parse turns 9007199254740993 into …992 and
// 1e400 into Infinity, so such ids would collide with others: only numbers JSON keeps exactly pass.
const id = v.pipe(
  v.union(
    [
      v.string(),
      v.pipe(
        v.number(),
        v.check(
          (n: number) => Number.isSafeInteger(n),
          'must be a string; numbers above 2^53 or with a fraction lose digits',
        ),
      ),
    ],
    'must be a string',
  ),
  v.transform(String),
  v.minLength(1, 'must not be empty'),
  v.maxLength(256, 'must be at most 256 characters'),
);

/**
 * An ISO 8601 date-time with a zone: `2024-05-01T12:00:00.000Z`, `…+08:00`; six-digit years as
 * `toISOString` writes them. Anchored, each part of bounded length and followed by a character the
 * part cannot hold, so no input makes it backtrack: it runs in linear time on any input.
 */
export const ISO_DATE_TIME =
  /^(\d{4}|[+-]\d{6})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/;

/** Whether a string is an {@link ISO_DATE_TIME} of a day that exists (Date.parse takes "1" and February 30th). */
export function isIsoDateTime(text: string): boolean {
  const match = ISO_DATE_TIME.exec(text);
  if (!match || Number.isNaN(Date.parse(text))) return false;
  const [, year, month, day] = match.map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year as number, (month as number) - 1, day);
  return date.getUTCDate() === day;
}

const DATE_MESSAGE = 'must be an ISO 8601 date string with a time and a zone, e.g. 2024-05-01T12:00:00.000Z';
const date = v.pipe(
  v.string(DATE_MESSAGE),
  v.maxLength(64, DATE_MESSAGE),
  v.check(isIsoDateTime, DATE_MESSAGE),
);
const name = v.pipe(v.string('must be a string'), v.maxLength(512, 'must be at most 512 characters'));

const common = {
  messageId: v.optional(id),
  anonymousId: v.optional(id),
  userId: v.optional(id),
  timestamp: v.optional(date),
  sentAt: v.optional(date),
  context: v.optional(object),
  integrations: v.optional(object),
};

const schema = v.pipe(
  v.variant(
    'type',
    [
      v.looseObject({
        ...common,
        type: v.literal('track'),
        event: v.pipe(name, v.minLength(1, 'must not be empty')),
        properties: v.optional(object),
      }),
      v.looseObject({
        ...common,
        type: v.picklist(['page', 'screen']),
        name: v.optional(name),
        category: v.optional(name),
        properties: v.optional(object),
      }),
      v.looseObject({ ...common, type: v.literal('identify'), traits: v.optional(object) }),
      v.looseObject({ ...common, type: v.literal('alias'), previousId: id, userId: id }),
      v.looseObject({ ...common, type: v.literal('group'), groupId: id, traits: v.optional(object) }),
    ],
    'must be one of track, page, screen, identify, alias, group',
  ),
  v.check((e) => Boolean(e.anonymousId || e.userId), 'needs an anonymousId or a userId'),
);

/** Outcome of validating one event. */
export type Validation = { ok: true; event: TrailEvent } | { ok: false; reason: string };

/** Checks one event against the Segment spec; never throws. */
export function validateEvent(input: unknown): Validation {
  if (!isObject(input)) return { ok: false, reason: 'event must be an object' };
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) {
    // The schema checks the fields TrailEvent names and lets others through, as the spec does.
    return { ok: true, event: result.output as unknown as TrailEvent };
  }
  const [issue] = result.issues;
  const path = v.getDotPath(issue);
  const message = issue.received === 'undefined' ? 'is required' : issue.message;
  return { ok: false, reason: path ? `${path} ${message}` : message };
}
