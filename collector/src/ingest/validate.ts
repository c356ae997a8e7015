import type { TrailEvent } from '@trail/sdk-core/protocol';
import * as v from 'valibot';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const object = v.custom<Record<string, unknown>>(isObject, 'must be an object');
const id = v.pipe(
  v.union([v.string(), v.number()], 'must be a string'),
  v.transform(String),
  v.minLength(1, 'must not be empty'),
  v.maxLength(256, 'must be at most 256 characters'),
);
const date = v.pipe(
  v.string('must be an ISO 8601 date string'),
  v.maxLength(64, 'must be an ISO 8601 date string'),
  v.check((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date string'),
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
