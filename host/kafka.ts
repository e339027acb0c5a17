// kafkajs wiring from configuration (plain, or SASL/SCRAM + TLS for managed Kafka / Redpanda Cloud).
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

export function createKafka(config: Config, logger: Logger): Kafka | undefined {
  if (config.kafka.brokers.length === 0) return undefined;
  const toPino = (level: logLevel): 'error' | 'warn' | 'info' | 'debug' => (level <= logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : level === logLevel.INFO ? 'info' : 'debug');
  const kafkaConfig: KafkaConfig = {
    clientId: `${config.kafka.clientId}-${config.instanceId}`,
    brokers: config.kafka.brokers,
    ssl: config.kafka.ssl,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
    // kafkajs is chatty while a broker is away; our own components log the state changes that matter.
    logLevel: logLevel.ERROR,
    logCreator: () => ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      logger[toPino(level)]({ namespace, ...extra }, `kafka: ${message}`);
    },
    ...(config.kafka.sasl ? { sasl: config.kafka.sasl as SASLOptions } : {}),
  };
  return new Kafka(kafkaConfig);
}
