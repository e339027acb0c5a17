// kafkajs wiring from configuration (plain, or SASL/SCRAM + TLS for managed Kafka / Redpanda Cloud),
// and the guard that makes sure the event topic exists.
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

export function createKafka(config: Config, logger: Logger): Kafka | undefined {
  if (config.kafka.brokers.length === 0) return undefined;
  const toPino = (level: logLevel): 'error' | 'warn' | 'info' | 'debug' =>
    level <= logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : level === logLevel.INFO ? 'info' : 'debug';
  const kafkaConfig: KafkaConfig = {
    clientId: `${config.kafka.clientId}-${config.instanceId}`,
    brokers: config.kafka.brokers,
    ssl: config.kafka.ssl,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
    // kafkajs is chatty while a broker is away; our own components log the state changes that matter.
    logLevel: logLevel.ERROR,
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        const { message, ...extra } = log;
        logger[toPino(level)]({ namespace, ...extra }, `kafka: ${message}`);
      },
    ...(config.kafka.sasl ? { sasl: config.kafka.sasl as SASLOptions } : {}),
  };
  return new Kafka(kafkaConfig);
}

export interface TopicSpec {
  topic: string;
  /** Used only when the topic is created here. */
  partitions: number;
  /** -1 = the broker's default.replication.factor. */
  replicationFactor: number;
}

/** Why one look at the topic failed, as an operator reads it in the log and in /ready `kafka_error`. */
function reasonOf(error: unknown): string {
  // createTopics rejects with a KafkaJSAggregateError whose own message is generic; the broker's reasons are in `errors`.
  const parts = (error as { errors?: unknown }).errors;
  if (Array.isArray(parts) && parts.length > 0) return parts.map((e) => reasonOf(e)).join('; ');
  const e = error as { message?: string; type?: string };
  const message = e.message ?? String(error);
  return e.type && !message.includes(e.type) ? `${message} (${e.type})` : message;
}

/**
 * Makes sure the event topic exists: looks it up with the admin API and, when it is missing, creates it
 * (`partitions`, `replicationFactor`) — the relay's producer never auto-creates, and a consumer of a missing
 * topic on a broker without auto-creation would wait forever without a word. Until the topic exists it
 * retries with backoff (1 s doubling to `maxRetryMs`), keeps the reason in `error` (shown by /ready as
 * `kafka_error`) and logs each distinct reason once: an error when the topic is missing and the broker
 * refuses to create it (no permission, too few brokers for the replication factor, invalid name), a warning
 * when the broker cannot be reached at all.
 */
export class TopicGuard {
  state: 'checking' | 'ready' | 'failed' = 'checking';
  /** e.g. `topic "x" does not exist and could not be created: <broker's reason>`; undefined once it exists. */
  error: string | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private readonly done: Promise<boolean>;

  constructor(
    private readonly kafka: Kafka,
    private readonly spec: TopicSpec,
    private readonly logger: Logger,
    private readonly maxRetryMs = 30_000,
  ) {
    this.done = this.loop();
  }

  /** Resolves true once the topic exists, false if stopped before that (or while looking). Never rejects. */
  ready(): Promise<boolean> {
    return this.done;
  }

  /**
   * Stops retrying; resolves once a look at the topic that was under way has finished and closed its
   * admin client (kafkajs' admin.disconnect() while connect() is in flight does not hold, so the guard
   * waits for it instead of racing it). ready() then resolves false, even if that last look found the topic.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.done;
  }

  private async loop(): Promise<boolean> {
    let delay = 1000;
    for (;;) {
      if (this.stopped) return false;
      const problem = await this.check();
      // Stopped meanwhile: whatever the look found, nothing is to start on the topic now.
      if (this.stopped) return false;
      if (problem === undefined) return true;
      if (problem.message !== this.error) {
        const fields = { topic: this.spec.topic, reason: problem.reason };
        if (problem.kind === 'cannot_create') this.logger.error(fields, `kafka: ${problem.message}`);
        else this.logger.warn(fields, `kafka: ${problem.message}`);
      }
      this.state = 'failed';
      this.error = problem.message;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
        this.timer.unref?.();
      });
      delay = Math.min(delay * 2, this.maxRetryMs);
    }
  }

  private async check(): Promise<
    { kind: 'unreachable' | 'cannot_create'; message: string; reason: string } | undefined
  > {
    const { topic, partitions, replicationFactor } = this.spec;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const exists = (await admin.listTopics()).includes(topic);
      if (!exists) {
        try {
          const created = await admin.createTopics({
            topics: [{ topic, numPartitions: partitions, replicationFactor }],
            waitForLeaders: true,
          });
          if (created)
            this.logger.info(
              { topic, partitions, replicationFactor },
              `kafka: created topic "${topic}" (${partitions} partitions)`,
            );
        } catch (error) {
          const reason = reasonOf(error);
          return {
            kind: 'cannot_create',
            reason,
            message: `topic "${topic}" does not exist and could not be created: ${reason}`,
          };
        }
      }
    } catch (error) {
      const reason = reasonOf(error);
      return { kind: 'unreachable', reason, message: `topic "${topic}" could not be checked: ${reason}` };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (this.error !== undefined) this.logger.info({ topic }, `kafka: topic "${topic}" is available now`);
    this.state = 'ready';
    this.error = undefined;
    return undefined;
  }
}
