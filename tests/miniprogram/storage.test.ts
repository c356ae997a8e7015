import { describe, expect, it } from 'vitest';
import { createQueue } from '../../sdk-core/src/queue.ts';
import type { TrailEvent } from '../../sdk-core/src/protocol.ts';
import { queueStore } from '../../sdk-miniprogram/src/storage.ts';
import { waitFor } from '../support/wait-for.ts';
import { FakeMiniProgram } from './fake-runtime.ts';
import { storedQueueIds } from './stored-queue.ts';

describe('mini-program queue storage', () => {
  it('ends up holding exactly the queue when saves overlap', async () => {
    const rt = new FakeMiniProgram(); // WeChat: each storage callback comes in a task of its own
    try {
      const q = createQueue(queueStore(rt.api as never), 'trail_q_x', 1000, 1e6);
      q._persist = true;
      let n = 0;
      const track = (count: number) =>
        q._push(
          Array.from(
            { length: count },
            () =>
              ({
                type: 'track',
                event: 'E',
                messageId: `m${++n}`,
                properties: { pad: 'x'.repeat(900) },
              }) as TrailEvent,
          ),
        );
      const onDisk = () => storedQueueIds(rt.storage.snapshot(), 'trail_q_x');
      const queued = () => q._items.map((e) => e.messageId);

      track(80); // two chunks
      await waitFor(() => expect(onDisk()).toEqual(queued()));
      q._done(q._take(40, 1e9)); // an acknowledged batch: one chunk's save begins…
      await new Promise((resolve) => setTimeout(resolve, 0));
      track(30); // …and a two-chunk save follows before it ends
      await waitFor(() => expect(onDisk()).toEqual(queued()));
      expect(queued()).toHaveLength(70);
    } finally {
      rt.close();
    }
  });
});
