import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventsBatchId, failedBatchId } from './batch-id.ts';
import { clickhouseDateTime, parseClickHouseUrl } from './clickhouse.ts';
import type { FailedEvent, StoredEvent } from './sink.ts';
import { parseWebhookUrl, retryAfterMs } from './webhook.ts';

const event = (messageId: string) => ({ messageId }) as StoredEvent;

describe('parseClickHouseUrl', () => {
  it('reads the documented options, with defaults', () => {
    expect(
      parseClickHouseUrl(
        'clickhouse://ch.internal:8123/?database=analytics&table=ev&user=trail&password=p%40ss&async_insert=1&create=1&timeout_ms=900',
      ),
    ).toEqual({
      endpoint: 'http://ch.internal:8123/',
      database: 'analytics',
      table: 'ev',
      user: 'trail',
      password: 'p@ss',
      asyncInsert: true,
      create: true,
      timeoutMs: 900,
    });
    expect(parseClickHouseUrl('clickhouse://localhost', { timeoutMs: 2000 })).toEqual({
      endpoint: 'http://localhost:8123/',
      database: 'default',
      table: 'trail_events',
      user: undefined,
      password: undefined,
      asyncInsert: false,
      create: false,
      timeoutMs: 2000,
    });
  });

  it('speaks TLS for clickhouse+https (8443 by default) and keeps a path prefix', () => {
    expect(parseClickHouseUrl('clickhouse+https://x.clickhouse.cloud/').endpoint).toBe(
      'https://x.clickhouse.cloud:8443/',
    );
    expect(parseClickHouseUrl('clickhouse+https://proxy.example:443/ch').endpoint).toBe(
      'https://proxy.example:443/ch/',
    );
  });

  it('takes credentials from the URL user info, and the password from the environment first', () => {
    const options = parseClickHouseUrl('clickhouse://alice:url-pw@h:8123/', {
      env: { TRAIL_CLICKHOUSE_PASSWORD: 'env-pw' },
    });
    expect(options).toMatchObject({ user: 'alice', password: 'env-pw' });
    expect(parseClickHouseUrl('clickhouse://alice:url-pw@h:8123/').password).toBe('url-pw');
  });

  it('refuses unknown options and unsafe names without echoing the password', () => {
    const bad = (url: string) => () => parseClickHouseUrl(url);
    expect(bad('clickhouse://h/?password=hunter2&tabel=x')).toThrow(/unknown URL option "tabel"/);
    expect(bad('clickhouse://h/?password=hunter2&tabel=x')).not.toThrow(/hunter2/);
    expect(bad('clickhouse://h/?table=a;DROP')).toThrow(/table "a;DROP" must be letters/);
    expect(bad('clickhouse://h/?async_insert=maybe')).toThrow(/async_insert=maybe must be 1 or 0/);
    expect(bad('clickhouse://h:hunter2@[bad')).toThrow(/^clickhouse sink: the URL is not valid \(/);
  });
});

describe('clickhouseDateTime', () => {
  it('writes DateTime64(3) text in UTC, clamped to the type’s range', () => {
    expect(clickhouseDateTime('2024-05-01T12:34:56.789Z')).toBe('2024-05-01 12:34:56.789');
    expect(clickhouseDateTime('2024-05-01T14:34:56.789+02:00')).toBe('2024-05-01 12:34:56.789');
    expect(clickhouseDateTime('+010000-01-01T00:00:00.000Z')).toBe('2299-12-31 23:59:59.999');
    expect(clickhouseDateTime('1800-01-01T00:00:00.000Z')).toBe('1900-01-01 00:00:00.000');
  });
});

describe('parseWebhookUrl', () => {
  it("strips webhook+ and trail's options, keeping the receiver's own", () => {
    expect(
      parseWebhookUrl('webhook+https://in.example/hook?tenant=t1&secret=s&retries=5&timeout_ms=700', {
        timeoutMs: 3000,
      }),
    ).toEqual({
      url: 'https://in.example/hook?tenant=t1',
      secret: 's',
      attempts: 5,
      attemptTimeoutMs: 700,
      budgetMs: 3000,
    });
    expect(parseWebhookUrl('webhook+http://127.0.0.1:9/x')).toEqual({
      url: 'http://127.0.0.1:9/x',
      secret: undefined,
      attempts: 3,
      attemptTimeoutMs: 5000,
      budgetMs: 5000,
    });
  });

  it('takes the secret from TRAIL_WEBHOOK_SECRET first', () => {
    const env = { TRAIL_WEBHOOK_SECRET: 'from-env' };
    expect(parseWebhookUrl('webhook+https://h/?secret=from-url', { env }).secret).toBe('from-env');
    expect(parseWebhookUrl('webhook+https://h/', { env }).secret).toBe('from-env');
  });

  it('refuses other schemes and bad retry counts', () => {
    expect(() => parseWebhookUrl('webhook://h/')).toThrow(/webhook\+https/);
    expect(() => parseWebhookUrl('webhook+https://h/?retries=0')).toThrow(/retries=0/);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(retryAfterMs('Wed, 01 May 2024 12:00:02 GMT', now)).toBe(2000);
  });
});

describe('batch ids', () => {
  it('are the same for the same messageIds in any order, and differ otherwise', async () => {
    const id = await eventsBatchId([event('a'), event('b')]);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await eventsBatchId([event('b'), event('a')])).toBe(id);
    expect(await eventsBatchId([event('a'), event('c')])).not.toBe(id);
    // No separator trick makes two different sets collide.
    expect(await eventsBatchId([event('a,b')])).not.toBe(id);
    // Nor do the same messageIds from two sources: each source's batch is its own.
    const from = (source: string) => ['a', 'b'].map((m) => ({ ...event(m), source }));
    expect(await eventsBatchId(from('web'))).not.toBe(await eventsBatchId(from('server')));
  });

  it('identify failed events by content, leaving out the collector’s receipt time', async () => {
    const failed = (receivedAt: string): FailedEvent => ({
      receivedAt,
      source: 'web',
      messageId: 'm',
      reason: 'bad',
      payload: '{}',
    });
    expect(await failedBatchId([failed('2024-01-01T00:00:00Z')])).toBe(
      await failedBatchId([failed('2024-01-01T00:00:09Z')]),
    );
    expect(await failedBatchId([failed('x')])).not.toBe(await eventsBatchId([event('m')]));
  });
});

describe('edge safety', () => {
  it('the HTTP sinks and what they import use no Node built-ins', () => {
    for (const file of [
      'http-sinks.ts',
      'clickhouse.ts',
      'webhook.ts',
      'batch-id.ts',
      'http-util.ts',
      'fields.ts',
    ]) {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      expect(source, file).not.toMatch(/from '(node:|[a-z])/);
      expect(source, file).not.toMatch(/\b(process|Buffer|require)\b[.(]/);
    }
  });
});
