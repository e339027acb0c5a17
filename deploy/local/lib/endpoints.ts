// Where the local stack listens. Tests, the app's defaults for the local shape and the stack driver
// read these, so a port is named in exactly one place. All listeners bind to 127.0.0.1.
export const DAPR_VERSION = 'v1.18.2';
export const KAFKA_VERSION = '3.9.1';
export const TOPIC = 'task-events';
export const TOPIC_PARTITIONS = 6;

export const local = {
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tasklane',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  kafkaControllerPort: 9093,
  placement: { port: 50005, healthz: 58080, metrics: 59090 },
  scheduler: { port: 50006, healthz: 58081, metrics: 59091, etcdClient: 2379, etcdPeer: 2380 },
} as const;
