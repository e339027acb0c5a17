// The services of the local stack. Each knows how to find an existing instance, start its own,
// health-check it with a deadline, and report where it is. Data and logs live under .stack/.
import {
  existsSync,
  mkdirSync,
  writeFileSync,
  readdirSync,
  chownSync,
  copyFileSync,
  chmodSync,
  statSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import {
  ROOT,
  STACK_DIR,
  ServiceError,
  logFile,
  readPid,
  isAlive,
  startDetached,
  waitFor,
  portOpen,
  httpOk,
  run,
  progress,
  sleep,
} from './proc.ts';
import { local, DAPR_VERSION, KAFKA_VERSION, TOPIC, TOPIC_PARTITIONS } from './endpoints.ts';

export interface Service {
  name: string;
  endpoint(): string;
  /** Ensures the service is up and healthy; returns how it was found. */
  up(): Promise<'started' | 'running' | 'external'>;
  healthy(): Promise<boolean>;
}

const CACHE = path.join(os.homedir(), '.cache', 'tasklane');

function ownedRunning(name: string): number | undefined {
  const pid = readPid(name);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

function isLocal(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/** Runs `start` unless our recorded process or someone else's healthy instance is already there. */
async function ensure(
  name: string,
  healthy: () => Promise<boolean>,
  start: () => Promise<number>,
  timeoutMs: number,
  localTarget: boolean,
): Promise<'started' | 'running' | 'external'> {
  const pid = ownedRunning(name);
  if (await healthy()) return pid ? 'running' : 'external';
  if (pid) {
    await waitFor(name, 'healthy', healthy, timeoutMs, logFile(name), pid);
    return 'running';
  }
  if (!localTarget) throw new ServiceError(name, 'the environment points at a remote instance that does not answer');
  const started = await start();
  await waitFor(name, 'healthy', healthy, timeoutMs, logFile(name), started);
  return 'started';
}

// ---------------------------------------------------------------- PostgreSQL
function postgresBin(tool: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions) {
    const candidate = path.join(base, v, 'bin', tool);
    if (existsSync(candidate)) return candidate;
  }
  throw new ServiceError(
    'postgres',
    `${tool} not found: install Debian's postgresql package (apt-get install postgresql)`,
  );
}

export const postgres: Service = {
  name: 'postgres',
  endpoint: () => new URL(local.databaseUrl).host,
  healthy: async () => {
    const url = new URL(local.databaseUrl);
    const admin = new URL(url);
    admin.pathname = '/postgres';
    const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      const db = decodeURIComponent(url.pathname.slice(1)) || 'tasklane';
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE "${db.replaceAll('"', '""')}"`);
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
  up: () => {
    const url = new URL(local.databaseUrl);
    const port = Number(url.port || 5432);
    return ensure(
      'postgres',
      postgres.healthy,
      async () => {
        if (await portOpen(port))
          throw new ServiceError(
            'postgres',
            `port ${port} is taken by something that does not accept ${url.protocol}//${url.username}@${url.host}; stop it or set DATABASE_URL`,
          );
        const dir = path.join(STACK_DIR, 'postgres');
        const data = path.join(dir, 'data');
        const sockets = path.join(dir, 'run');
        mkdirSync(sockets, { recursive: true });
        // PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user.
        const ids =
          process.getuid?.() === 0
            ? { uid: Number(run('id', ['-u', 'postgres']).trim()), gid: Number(run('id', ['-g', 'postgres']).trim()) }
            : {};
        if (ids.uid !== undefined) for (const d of [dir, sockets]) chownSync(d, ids.uid, ids.gid);
        if (!existsSync(path.join(data, 'PG_VERSION'))) {
          progress('postgres: initdb (first run)');
          run(
            postgresBin('initdb'),
            [
              '-D',
              data,
              '-U',
              url.username || 'postgres',
              '--auth=trust',
              '--encoding=UTF8',
              '--locale=C.UTF-8',
              '--no-instructions',
            ],
            ids,
          );
        }
        return startDetached(
          'postgres',
          postgresBin('postgres'),
          [
            '-D',
            data,
            '-p',
            String(port),
            '-c',
            'listen_addresses=127.0.0.1',
            '-c',
            `unix_socket_directories=${sockets}`,
            '-c',
            'max_connections=300',
            '-c',
            'shared_buffers=256MB',
            // PostgreSQL's own group commit: a commit waits up to 0.5 ms for others to share its WAL
            // flush when 3+ transactions are active. Durability is unchanged (fsync and synchronous_commit stay on).
            '-c',
            'commit_delay=500',
            '-c',
            'commit_siblings=3',
          ],
          ids,
        );
      },
      30_000,
      isLocal(url.hostname),
    );
  },
};

// ---------------------------------------------------------------- Redis
function redisPing(): Promise<boolean> {
  const url = new URL(local.redisUrl);
  return new Promise((resolve) => {
    import('node:net').then(
      ({ default: net }) => {
        const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
        let reply = '';
        socket.setTimeout(1000, () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(false));
        socket.on('data', (chunk) => {
          reply += chunk.toString();
          if (reply.includes('\r\n')) {
            socket.destroy();
            resolve(reply.startsWith('+PONG'));
          }
        });
        socket.once('connect', () =>
          socket.write(url.password ? `AUTH ${decodeURIComponent(url.password)}\r\nPING\r\n` : 'PING\r\n'),
        );
      },
      () => resolve(false),
    );
  });
}

export const redis: Service = {
  name: 'redis',
  endpoint: () => new URL(local.redisUrl).host,
  healthy: redisPing,
  up: () => {
    const url = new URL(local.redisUrl);
    return ensure(
      'redis',
      redisPing,
      async () => {
        const dir = path.join(STACK_DIR, 'redis');
        mkdirSync(dir, { recursive: true });
        return startDetached('redis', 'redis-server', [
          '--port',
          url.port || '6379',
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--daemonize',
          'no',
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--save',
          '',
        ]);
      },
      15_000,
      isLocal(url.hostname),
    );
  },
};

// ---------------------------------------------------------------- Kafka (KRaft)
/**
 * A KRaft cluster id: 16 random bytes in base64url, like Kafka's own, and like Kafka's own never starting
 * with '-' (the storage tool would read such an id as an option and refuse to format; 1 run in 64).
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaLib(): string {
  const lib = path.join(CACHE, 'kafka', KAFKA_VERSION, 'lib');
  if (existsSync(path.join(lib, `kafka_2.13-${KAFKA_VERSION}.jar`))) return lib;
  progress(`kafka: resolving Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run, ~60 MB)`);
  try {
    run(
      'mvn',
      [
        '-q',
        '-B',
        `-Dkafka.version=${KAFKA_VERSION}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${lib}`,
        '-DincludeScope=runtime',
      ],
      { cwd: path.join(ROOT, 'deploy', 'local', 'kafka') },
    );
  } catch (error) {
    throw new ServiceError(
      'kafka',
      `mvn could not fetch the Kafka jars: ${(error as { stderr?: string }).stderr ?? String(error)}`,
    );
  }
  return lib;
}

function kafkaClient() {
  return new Kafka({
    clientId: 'tasklane-stack',
    brokers: [...local.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
}

async function kafkaHealthy(): Promise<boolean> {
  const admin = kafkaClient().admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0 || cluster.controller === null) return false;
    const topics = await admin.listTopics();
    if (!topics.includes(TOPIC)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: TOPIC, numPartitions: TOPIC_PARTITIONS, replicationFactor: 1 }],
      });
    }
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    return meta.topics[0]?.partitions.every((p) => p.leader >= 0) ?? false;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export const kafka: Service = {
  name: 'kafka',
  endpoint: () => local.kafkaBrokers.join(','),
  healthy: kafkaHealthy,
  up: () => {
    const first = local.kafkaBrokers[0] ?? '127.0.0.1:9092';
    const [host = '127.0.0.1', portText = '9092'] = first.split(':');
    return ensure(
      'kafka',
      kafkaHealthy,
      async () => {
        const lib = kafkaLib();
        const dir = path.join(STACK_DIR, 'kafka');
        const data = path.join(dir, 'data');
        mkdirSync(dir, { recursive: true });
        const retentionHours = Number(process.env.KAFKA_RETENTION_HOURS ?? 168);
        const props = path.join(dir, 'server.properties');
        writeFileSync(
          props,
          [
            'process.roles=broker,controller',
            'node.id=1',
            `controller.quorum.voters=1@127.0.0.1:${local.kafkaControllerPort}`,
            `listeners=PLAINTEXT://127.0.0.1:${portText},CONTROLLER://127.0.0.1:${local.kafkaControllerPort}`,
            `advertised.listeners=PLAINTEXT://127.0.0.1:${portText}`,
            'controller.listener.names=CONTROLLER',
            'inter.broker.listener.name=PLAINTEXT',
            'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
            `log.dirs=${data}`,
            `num.partitions=${TOPIC_PARTITIONS}`,
            'offsets.topic.replication.factor=1',
            'transaction.state.log.replication.factor=1',
            'transaction.state.log.min.isr=1',
            'group.initial.rebalance.delay.ms=0',
            `log.retention.hours=${retentionHours}`,
            'auto.create.topics.enable=true',
            '',
          ].join('\n'),
        );
        const log4j = path.join(dir, 'log4j.properties');
        writeFileSync(
          log4j,
          [
            'log4j.rootLogger=WARN, stdout',
            'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
            'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
            'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
            'log4j.logger.kafka.server.KafkaServer=INFO',
            'log4j.logger.kafka.server.BrokerServer=INFO',
            '',
          ].join('\n'),
        );
        const classpath = `${lib}/*`;
        if (!existsSync(path.join(data, 'meta.properties'))) {
          progress('kafka: formatting KRaft storage (first run)');
          const clusterId = kafkaClusterId();
          try {
            run('java', [
              `-Dlog4j.configuration=file:${log4j}`,
              '-cp',
              classpath,
              'kafka.tools.StorageTool',
              'format',
              '-t',
              clusterId,
              '-c',
              props,
            ]);
          } catch (error) {
            throw new ServiceError(
              'kafka',
              `storage format failed: ${(error as { stderr?: string }).stderr ?? String(error)}`,
            );
          }
        }
        return startDetached('kafka', 'java', [
          '-Xms256m',
          '-Xmx768m',
          '-XX:+UseG1GC',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${log4j}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          props,
        ]);
      },
      90_000,
      isLocal(host),
    );
  },
};

// ---------------------------------------------------------------- Dapr (placement, scheduler; daprd binary)
export const DAPR_BIN = path.join(CACHE, 'dapr', DAPR_VERSION);
const DAPR_TOOLS = ['daprd', 'placement', 'scheduler'] as const;

function goModuleDir(): string {
  const json = run('go', ['mod', 'download', '-json', `github.com/dapr/dapr@${DAPR_VERSION}`]);
  const info = JSON.parse(json) as { Dir?: string; Error?: string };
  if (!info.Dir)
    throw new ServiceError(
      'dapr',
      `the Go module proxy refused github.com/dapr/dapr@${DAPR_VERSION}: ${info.Error ?? 'no directory'}`,
    );
  return info.Dir;
}

/** The build tag that registers the stable components, read from the pinned source (its spelling changed over releases). */
function stableTag(dir: string): string {
  const file = path.join(dir, 'cmd', 'daprd', 'components', 'pubsub_kafka.go');
  const line = execFileSync('head', ['-1', file], { encoding: 'utf8' });
  return /stable_components/.test(line) ? 'stable_components' : 'stablecomponents';
}

export async function ensureDaprBinaries(): Promise<string> {
  const missing = DAPR_TOOLS.filter((t) => !existsSync(path.join(DAPR_BIN, t)));
  if (missing.length > 0) {
    progress(
      `dapr: building ${missing.join(', ')} ${DAPR_VERSION} from the Go module proxy (first run: ~1 GB of modules, 10–25 min on 2 cores)`,
    );
    const dir = goModuleDir();
    const tag = stableTag(dir);
    mkdirSync(DAPR_BIN, { recursive: true });
    const started = Date.now();
    const { spawn } = await import('node:child_process');
    const build = spawn(
      'go',
      ['build', '-trimpath', '-tags', tag, '-o', DAPR_BIN + path.sep, ...missing.map((t) => `./cmd/${t}`)],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    build.stdout.on('data', (c) => {
      output += c;
    });
    build.stderr.on('data', (c) => {
      output += c;
    });
    const ticker = setInterval(
      () => progress(`dapr: still building (${Math.round((Date.now() - started) / 60_000)} min)`),
      60_000,
    );
    const code = await new Promise<number | null>((resolve) => build.once('close', resolve));
    clearInterval(ticker);
    if (code !== 0)
      throw new ServiceError(
        'dapr',
        `go build failed (exit ${code}):\n${output
          .split('\n')
          .filter((l) => !l.startsWith('go: downloading'))
          .slice(-30)
          .join('\n')}`,
      );
    progress(`dapr: built in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  // Where the Dapr CLI looks for its runtime binaries.
  const cliBin = path.join(os.homedir(), '.dapr', 'bin');
  mkdirSync(cliBin, { recursive: true });
  for (const tool of DAPR_TOOLS) {
    const from = path.join(DAPR_BIN, tool);
    const to = path.join(cliBin, tool);
    if (!existsSync(to) || statSync(to).size !== statSync(from).size) {
      copyFileSync(from, to);
      chmodSync(to, 0o755);
    }
  }
  return DAPR_BIN;
}

export const placement: Service = {
  name: 'placement',
  endpoint: () => `127.0.0.1:${local.placement.port}`,
  healthy: () => httpOk(`http://127.0.0.1:${local.placement.healthz}/healthz`),
  up: () =>
    ensure(
      'placement',
      placement.healthy,
      async () => {
        const bin = await ensureDaprBinaries();
        if (await portOpen(local.placement.port))
          throw new ServiceError('placement', `port ${local.placement.port} is taken by another process`);
        return startDetached('placement', path.join(bin, 'placement'), [
          '--port',
          String(local.placement.port),
          '--listen-address',
          '127.0.0.1',
          '--healthz-port',
          String(local.placement.healthz),
          '--healthz-listen-address',
          '127.0.0.1',
          '--metrics-port',
          String(local.placement.metrics),
          '--metrics-listen-address',
          '127.0.0.1',
          '--initial-cluster',
          'dapr-placement-0=127.0.0.1:58201',
          '--log-level',
          'info',
        ]);
      },
      30_000,
      true,
    ),
};

export const scheduler: Service = {
  name: 'scheduler',
  endpoint: () => `127.0.0.1:${local.scheduler.port}`,
  healthy: () => httpOk(`http://127.0.0.1:${local.scheduler.healthz}/healthz`),
  up: () =>
    ensure(
      'scheduler',
      scheduler.healthy,
      async () => {
        const bin = await ensureDaprBinaries();
        if (await portOpen(local.scheduler.port))
          throw new ServiceError('scheduler', `port ${local.scheduler.port} is taken by another process`);
        const etcd = path.join(STACK_DIR, 'scheduler', 'etcd');
        mkdirSync(etcd, { recursive: true });
        return startDetached('scheduler', path.join(bin, 'scheduler'), [
          '--port',
          String(local.scheduler.port),
          '--listen-address',
          '127.0.0.1',
          '--healthz-port',
          String(local.scheduler.healthz),
          '--healthz-listen-address',
          '127.0.0.1',
          '--metrics-port',
          String(local.scheduler.metrics),
          '--metrics-listen-address',
          '127.0.0.1',
          '--override-broadcast-host-port',
          `127.0.0.1:${local.scheduler.port}`,
          '--etcd-data-dir',
          etcd,
          '--etcd-client-port',
          String(local.scheduler.etcdClient),
          '--etcd-client-listen-address',
          '127.0.0.1',
          '--etcd-initial-cluster',
          `dapr-scheduler-server-0=http://127.0.0.1:${local.scheduler.etcdPeer}`,
          '--log-level',
          'info',
        ]);
      },
      60_000,
      true,
    ),
};

export const SERVICES: readonly Service[] = [postgres, redis, kafka, placement, scheduler];
export { sleep };
