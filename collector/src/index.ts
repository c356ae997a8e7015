export { type AppDeps, createApp } from './app.ts';
export {
  type Config,
  type ConfigInput,
  defineConfig,
  parseConfig,
  type SourceConfig,
} from './config/config.ts';
export { applyEnv, type Env } from './config/env.ts';
export { jsonLogger, type Logger } from './ops/logger.ts';
export { Metrics } from './ops/metrics.ts';
export { fanOut, SinkError } from './sinks/fanout.ts';
export type { FailedEvent, Sink, SinkBatch, SinkResult, StoredEvent } from './sinks/sink.ts';
