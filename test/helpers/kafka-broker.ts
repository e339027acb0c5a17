// A private single-node Kafka (KRaft) for tests that stop and restart the broker, so the stack's
// shared broker is never disturbed. Same jars as the stack (cached), its own ports and data.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaLib, kafkaClusterId } from '../../deploy/local/lib/services.ts';
import { freePorts } from './ports.ts';
import { hasExited, stopChild } from '../../deploy/local/lib/proc.ts';

export interface Broker {
  brokers: string;
  topic: string;
  /** The broker's process id while it runs (for CPU readings from /proc). */
  pid(): number | undefined;
  start(): Promise<void>;
  kill(): Promise<void>;
  destroy(): Promise<void>;
}

export async function privateBroker(topic = 'task-events'): Promise<Broker> {
  const [port, controller] = (await freePorts(2)) as [number, number];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-kafka-'));
  const lib = kafkaLib();
  const props = path.join(dir, 'server.properties');
  const log4j = path.join(dir, 'log4j.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'num.partitions=6',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    log4j,
    'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n',
  );
  execFileSync(
    'java',
    [
      `-Dlog4j.configuration=file:${log4j}`,
      '-cp',
      `${lib}/*`,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      kafkaClusterId(),
      '-c',
      props,
    ],
    { stdio: 'ignore' },
  );
  let child: ChildProcess | undefined;
  const brokers = `127.0.0.1:${port}`;
  const kafka = new Kafka({
    clientId: 'test-broker-admin',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
  const ready = async () => {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const topics = await admin.listTopics();
        if (!topics.includes(topic))
          await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        if (meta.topics[0]?.partitions.every((p) => p.leader >= 0)) return;
      } catch {
        // not yet
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`private Kafka on ${brokers} did not become ready (log: ${path.join(dir, 'kafka.log')})`);
  };
  const broker: Broker = {
    brokers,
    topic,
    pid: () => (child && !hasExited(child) ? child.pid : undefined),
    async start() {
      const fd = openSync(path.join(dir, 'kafka.log'), 'a');
      child = spawn(
        'java',
        ['-Xms128m', '-Xmx384m', `-Dlog4j.configuration=file:${log4j}`, '-cp', `${lib}/*`, 'kafka.Kafka', props],
        { stdio: ['ignore', fd, fd] },
      );
      await ready();
    },
    async kill() {
      if (child) await stopChild(child, { signal: 'SIGKILL' });
    },
    async destroy() {
      await broker.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
