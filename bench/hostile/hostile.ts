import { post } from '../../tests/support/events.ts';
import {
  benignKeys,
  benignText,
  HOSTILE_OBJECTS,
  HOSTILE_STRINGS,
  LIMIT_REQUESTS,
  type MakeValue,
} from '../../tests/support/hostile-inputs.ts';
import { fastest } from '../../tests/support/timing.ts';
import { ourCollector } from '../collector/servers.ts';
import { kb, type Section, type Table } from '../lib/report.ts';

/** Timings per request; the fastest counts, the one least disturbed by the machine. */
const RUNS = 5;

/**
 * The worst string for each PII pattern, and objects whose keys all mask to one name, posted at the
 * size limits beside a request of the same shape and size holding ordinary text: the collector's
 * work per byte must not depend on content.
 */
const hostileRequests: Section = async () => {
  const server = await ourCollector.start();
  try {
    const time = async (request: (value: MakeValue) => unknown, value: MakeValue): Promise<number> => {
      const send = async () => {
        // A fresh body (fresh messageIds) every time: a duplicate would be cheaper.
        const res = await post(`${server.url}/v1/batch`, request(value));
        if (res.status !== 200) throw new Error(`answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      };
      await send(); // warm
      return fastest(send, RUNS);
    };
    const rows: (string | number)[][] = [];
    for (const [shape, request] of Object.entries(LIMIT_REQUESTS)) {
      const bytes = JSON.stringify(request(benignText)).length;
      // Strings beside ordinary text; objects beside as many keys masking to names of their own.
      for (const [hostiles, measure] of [
        [HOSTILE_STRINGS, benignText],
        [HOSTILE_OBJECTS, benignKeys],
      ] as const) {
        const benign = await time(request, measure);
        for (const [name, make] of Object.entries(hostiles)) {
          const hostile = await time(request, make);
          rows.push([name, shape, kb(bytes), hostile, benign, hostile / benign]);
        }
      }
    }
    rows.sort((a, b) => (b[3] as number) - (a[3] as number));
    return [
      {
        id: 'hostile',
        title: 'Hostile requests: the worst input for each PII pattern beside ordinary text',
        notes: [
          `Each row posts one request to the collector (bench/collector/servers.ts (c): Node, SQLite, masking on) and keeps the fastest of ${RUNS} answers, after one to warm up; fresh messageIds every time. "events at the event limit": 16 events with a 30 KB value each (485 KB, under the 500 KB batch limit). "batch context": 500 small events under a 31 KB context value (each event with it under the 32 KB event limit).`,
          'The hostile value is a string, or an object of keys that all mask to one name (colliding email or card keys, renamed `#2`, `#3`…). The benign request has the same shape and size: for a string, ordinary text with dates, prices, an address and a mobile number to mask; for an object, as many email keys masking to names of their own (tests/support/hostile-inputs.ts). Slowest hostile request first; ratio = hostile / benign.',
        ],
        headers: ['input', 'request', 'KB', 'hostile ms', 'benign ms', 'ratio'],
        rows,
      } satisfies Table,
    ];
  } finally {
    await server.stop();
  }
};

export default hostileRequests;
