// The composition root as a function: wires database, services, runtime, realtime and the API for
// one configuration, and returns a handle that shuts everything down in order. host/main.ts runs it
// as a process; tests run it in-process against the real services.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { Server } from '@hapi/hapi';
import type { Logger } from 'pino';
import { type Config, shapeOf } from './config.ts';
import { BUNDLED_TZDATA, runsOlderTzdata, TZDATA_DIR } from './tzdata.ts';
import { createLogger } from './logger.ts';
import { openDb, type Db } from './db/index.ts';
import { TaskTurns } from './tasks/turn.ts';
import { UserTurns } from './users/turn.ts';
import { ListTurns, readList, readInvitations } from './lists/turn.ts';
import { readTask, readHistory, readUser } from './tasks/store.ts';
import { Reads } from './reads.ts';
import { Feeds } from './feeds.ts';
import { DirectRuntime } from '../actors/runtime/direct.ts';
import { connectDapr } from './runtime.ts';
import type { ActorRuntime } from '../actors/runtime/types.ts';
import { LocalTimers } from '../actors/runtime/local-timers.ts';
import { FireQueue } from '../actors/runtime/fire-queue.ts';
import { Sweeper } from '../actors/runtime/sweeper.ts';
import { FanOutFinisher } from './fan-outs.ts';
import { whileHolding, ADVISORY_LOCK } from './db/advisory.ts';
import type { Timer } from '../actors/task/timers.ts';
import { dueTimers } from './timers.ts';
import { createKafka, TopicGuard } from './kafka.ts';
import { Relay } from './outbox/relay.ts';
import { kafkaSink, daprSink, hubSink, type Sink } from './outbox/sinks.ts';
import { KafkaFeed, OutboxFeed } from '../realtime/feeds.ts';
import type { EventEnvelope } from '../actors/events.ts';
import type { TaskCall, TimerPort, Turns } from '../actors/ports.ts';
import type { DaprRuntime } from '../actors/runtime/dapr.ts';
import { createServer } from '../api/server.ts';
import { createMetrics } from '../api/metrics.ts';
import { memoryLimiter, redisLimiter, type RateLimiter } from '../api/rate-limit.ts';
import type { Readiness } from '../api/deps.ts';
import { Hub } from '../realtime/hub.ts';
import { registerNes } from '../realtime/nes.ts';
import { registerDashboard } from '../realtime/dashboard.ts';

export interface App {
  config: Config;
  server: Server;
  db: Db;
  logger: Logger;
  runtime: ActorRuntime;
  hub: Hub;
  relay: Relay;
  sweeper: Sweeper;
  url: string;
  stop(): Promise<void>;
}

const VERSION = (
  JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;

export interface StartOptions {
  logger?: Logger;
  /**
   * The time every turn decides with and the timers count in (default the wall clock). Tests pass a
   * clock they move, so timers fire when the test says instead of seconds later on a busy machine.
   * The Dapr runtime's own reminders always run on the wall clock.
   */
  clock?: () => Date;
}

/**
 * Dapr runtime: the sweeper fires a timer only once it is overdue by more than this (ms), since Dapr's
 * own reminder should have fired it by then; a timer pending this long after its time was lost (an arm
 * that failed while the sidecar was away).
 */
export const SWEEPER_GRACE_MS = 1500;

export async function startApp(config: Config, options: StartOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? (() => new Date());
  const now = () => clock().getTime();
  const shape = shapeOf(config);
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: path.join(config.dataDir, 'pglite') }, (msg) =>
    logger.info(msg),
  );
  const reads = new Reads(db);
  const metrics = createMetrics(async () => (await reads.outboxBacklog()).count);
  const hub = new Hub({ registry: metrics.registry });
  // Chosen below, once it is known whether a Dapr sidecar answers; timers fire, and a zone change
  // fans out to its series, through it. Neither can happen before the server starts.
  let runtime: ActorRuntime;
  // The relay is built below, once it is known whether Dapr publishes (a sink); no turn commits before.
  let nudgeRelay = (): void => undefined;

  const committed = (events: EventEnvelope[]) => {
    // An event delivered to several members of a shared list comes once per recipient: it was written once.
    const written = new Set<string>();
    for (const e of events) {
      if (written.has(e.event_id)) continue;
      written.add(e.event_id);
      metrics.eventsWritten.inc({ type: e.event_type });
    }
    // With Kafka, this instance's sockets get its own commits at once when they are next in seq order
    // (realtime/hub.ts deliverLocal); the feed brings the rest. Embedded: the relay is the one feed.
    if (kafka) hub.deliverLocal(events);
    nudgeRelay();
  };
  // One pipeline per actor type (host/tasks/turn.ts, host/users/turn.ts), whichever runtime runs it.
  const makeTurns = (timers: TimerPort): Turns => ({
    task: new TaskTurns(db, {
      clock,
      timers,
      onCommitted: committed,
      ...(config.groupCommit === false ? { groupCommit: false as const } : {}),
      dispatch: (taskId, call) => runtime.executeTask(taskId, call),
      onFanOutError: (error, taskId) =>
        logger.error({ err: error, task: taskId }, "a series' delete or its undo did not reach this instance"),
    }),
    user: new UserTurns(db, {
      clock,
      onCommitted: committed,
      dispatch: (taskId, call) => runtime.executeTask(taskId, call),
    }),
    list: new ListTurns(db, {
      clock,
      onCommitted: committed,
      dispatch: (taskId, call) => runtime.executeTask(taskId, call),
    }),
  });
  // Timers fire as actor turns; the turn's own events say whether anything happened and how late.
  const fire = async (timer: Timer) => {
    const result = await runtime.executeTask(timer.taskId, { userId: timer.userId, command: timer.command });
    for (const e of result.events) {
      if (e.event_type === 'reminder.triggered' || e.event_type === 'recurring.spawned') {
        const kind = e.event_type === 'reminder.triggered' ? 'reminder' : 'spawn';
        metrics.timersFired.inc({ kind, via: runtime.mode });
        metrics.timerLateness.observe({ kind }, Number(e.data.late_ms ?? 0) / 1000);
      }
    }
  };
  // Every timer of this process fires through one bounded queue (a few turns at a time, in due order).
  const fireQueue = new FireQueue({ fire });
  metrics.watchTimerTurns(() => ({ now: fireQueue.inFlight, peak: fireQueue.peak }));
  const localTimers = new LocalTimers({ queue: fireQueue, now });
  let dapr: DaprRuntime | undefined;
  const actorState = () => ({
    mode: runtime.mode,
    sidecar: dapr ? dapr.sidecar : null,
    fallback: dapr ? dapr.fallback : null,
  });
  const showActorState = () => {
    const state = actorState();
    metrics.showActorState({
      mode: state.mode,
      ...(state.sidecar ? { sidecar: state.sidecar, fallback: state.fallback } : {}),
    });
  };
  dapr = await connectDapr(
    config,
    {
      makeTurns,
      onTurn: (turn) => metrics.actorTurns.inc({ ...turn }),
      // Once per transition, not per turn: an operator sees when turns start and stop running in-process.
      onSidecarChange: (state, reason) => {
        showActorState();
        if (state === 'down')
          logger.warn(
            { sidecar: 'down', fallback: 'direct', reason },
            'dapr: sidecar unreachable; actor turns run in-process (fallback direct) until it returns',
          );
        else logger.info({ sidecar: 'up', reason }, 'dapr: sidecar reachable again; actor turns go through Dapr');
      },
    },
    logger,
  );
  runtime = dapr ?? new DirectRuntime(makeTurns(localTimers));
  const onSweepError = (error: unknown) => logger.warn({ err: error }, 'sweeper: could not fire, retrying');
  const onSweep = () => metrics.sweeps.inc();
  // Direct: the sweeper feeds the in-process timers. Dapr: Dapr's reminders fire; the sweeper only
  // catches what is overdue by more than a grace period (an arm lost while the sidecar was away).
  const sweeper = dapr
    ? new Sweeper({
        source: dueTimers(db),
        queue: fireQueue,
        intervalMs: 500,
        graceMs: SWEEPER_GRACE_MS,
        onError: onSweepError,
        onSweep,
        now,
      })
    : new Sweeper({
        source: dueTimers(db),
        schedule: (t) => localTimers.schedule(t),
        intervalMs: 1000,
        lookaheadMs: 30_000,
        onError: onSweepError,
        onSweep,
        now,
      });
  showActorState();
  // Fan-outs a crash cut short (a list or label delete's tasks, a zone change's series, a series delete's
  // instances, a gone member's tasks) reach the rest of their tasks, through the runtime's task turns.
  const dispatch = (taskId: string, call: TaskCall) => runtime.executeTask(taskId, call);
  const finishing = {
    user: new UserTurns(db, { clock, onCommitted: committed, dispatch }),
    task: new TaskTurns(db, { clock, onCommitted: committed, dispatch }),
    list: new ListTurns(db, { clock, onCommitted: committed, dispatch }),
  };
  const fanOutFinisher = new FanOutFinisher({
    sources: [
      { name: 'delete', reach: 'all', finish: (o) => finishing.user.finishDeletes(o) },
      { name: 'zone change', reach: 'recent', finish: (o) => finishing.user.finishZoneChanges(o) },
      { name: 'series delete', reach: 'window', finish: (o) => finishing.task.finishSeriesDeletes(o) },
      { name: 'member gone', reach: 'window', finish: (o) => finishing.list.finishMembersGone(o) },
    ],
    onFinished: ({ finished, failed }) => {
      if (finished.length > 0)
        logger.warn(
          { fan_outs: finished },
          'finished fan-outs a crash had cut short (tasks of deleted lists or labels, series behind a zone change, instances of deleted series, tasks of gone members)',
        );
      for (const { source, key, error } of failed)
        logger.warn(
          { err: error, fan_out: { source, key } },
          'could not finish a fan-out a crash cut short; left out for a while',
        );
    },
    onError: (error) =>
      logger.warn({ err: error }, 'could not look for fan-outs a crash cut short; trying again in a minute'),
    oneAtATime: (look) => whileHolding(db, ADVISORY_LOCK.fanOutFinisher, look),
    now,
  });

  // Event delivery: the relay publishes the outbox (Dapr pub/sub first in the Dapr runtime, kafkajs
  // when Dapr is absent or its publish fails; the hub itself in the embedded shape).
  const kafka = createKafka(config, logger);
  const topic = kafka
    ? new TopicGuard(
        kafka,
        {
          topic: config.kafka.topic,
          partitions: config.kafka.partitions,
          replicationFactor: config.kafka.replicationFactor,
        },
        logger,
      )
    : undefined;
  const sinks: Sink[] = [];
  if (dapr && kafka)
    sinks.push(daprSink(config.dapr.host, dapr.httpPort, 'pubsub', config.kafka.topic, config.dapr.apiToken));
  const kafkaOut = kafka ? kafkaSink(kafka, config.kafka.topic) : undefined;
  if (kafkaOut) sinks.push(kafkaOut);
  if (!kafka) sinks.push(hubSink((events) => hub.deliver(events, 'relay')));
  const relay = new Relay({
    db,
    sinks,
    onPublished: (events, via) => metrics.eventsPublished.inc({ via }, events.length),
    onError: (error, sink) => logger.warn({ err: error, sink }, 'relay: publish failed; events wait in the outbox'),
  });
  nudgeRelay = () => relay.nudge();
  let feedError: string | undefined;
  const kafkaFeed = kafka
    ? new KafkaFeed(
        kafka,
        config.kafka.topic,
        `tasklane-rt-${config.instanceId}`,
        (events) => hub.deliver(events, 'kafka'),
        (error) => {
          feedError = error instanceof Error ? error.message : String(error);
          logger.warn({ err: error }, 'realtime: kafka consumer');
        },
      )
    : undefined;
  const outboxFeed = kafka
    ? new OutboxFeed({
        unpublishedSince: (since) => reads.unpublishedSince(since),
        publishedSince: (since, limit) => reads.publishedSince(since, limit),
        deliver: (events) => hub.deliver(events, 'outbox'),
        primaryLive: () => kafkaFeed?.live ?? false,
        relayHealthy: () => relay.healthy,
        primaryMissedFrom: () => kafkaFeed?.missedFrom ?? 0,
      })
    : undefined;

  let rateLimiter: RateLimiter | undefined;
  if (config.rateLimit.perSecond > 0) {
    rateLimiter = config.redisUrl
      ? await redisLimiter(config.redisUrl, config.rateLimit.perSecond, config.rateLimit.burst, (error) =>
          logger.warn({ err: error }, 'rate limiter: redis unavailable, limiting per instance'),
        )
      : memoryLimiter(config.rateLimit.perSecond, config.rateLimit.burst);
  }

  const readiness = async (): Promise<Readiness> => {
    const database = await db.query('SELECT 1').then(
      () => 'up' as const,
      () => 'down' as const,
    );
    const backlog = database === 'up' ? await reads.outboxBacklog() : { count: -1, oldest: null };
    const kafkaState = !kafka
      ? ('disabled' as const)
      : relay.healthy && (kafkaFeed?.live ?? false)
        ? ('connected' as const)
        : ('disconnected' as const);
    const kafkaError =
      kafkaState !== 'disconnected'
        ? null
        : (topic?.error ?? (relay.healthy ? undefined : relay.lastError) ?? feedError ?? null);
    return {
      ready: database === 'up',
      ...actorState(),
      shape,
      database,
      kafka: kafkaState,
      kafka_error: kafkaError,
      outbox_backlog: backlog.count,
      outbox_oldest: backlog.oldest,
      instance: config.instanceId,
      relay: {
        healthy: relay.healthy,
        via: relay.lastSink ?? null,
        last_error: relay.healthy ? null : (relay.lastError ?? null),
      },
      realtime: {
        kafka_feed: kafkaFeed ? kafkaFeed.live : null,
        delivered: hub.delivered,
        duplicates_dropped: hub.duplicates,
      },
    };
  };

  const server = await createServer(
    {
      logger,
      runtime,
      reads,
      readiness,
      clock,
      tasks: {
        get: (userId, taskId) => readTask(db, userId, taskId),
        history: (userId, taskId, page) => readHistory(db, userId, taskId, page),
      },
      users: { get: (userId) => readUser(db, userId) },
      sharing: {
        list: (listId) => readList(db, listId),
        invitations: (userId) => readInvitations(db, userId),
      },
      feeds: new Feeds(db),
      metrics,
      rateLimiter,
      trustProxyHops: config.trustProxyHops,
      auth: {
        secret: config.auth.secret,
        jwksUrl: config.auth.jwksUrl,
        jwksRefreshSec: config.auth.jwksRefreshSec,
        devSignIn: config.auth.devSignIn,
        maxLifetimeSec: config.auth.maxLifetimeSec,
        clockSkewSec: config.auth.clockSkewSec,
      },
      realtime: async (s) => {
        hub.attach(
          await registerNes(s, { onSockets: (open) => metrics.openSockets.set(open), registry: metrics.registry }),
        );
        registerDashboard(s, { searchFold: () => reads.searchFold() });
      },
    },
    { port: config.port, host: config.host, version: VERSION },
  );
  await runtime.start();
  sweeper.start();
  fanOutFinisher.start();
  relay.start();
  outboxFeed?.start();
  // The consumer starts once the topic exists (the guard creates it, or logs why it cannot); until then the outbox feed covers.
  if (topic && kafkaFeed) {
    void topic
      .ready()
      .then((exists) => (exists ? kafkaFeed.start() : undefined))
      .catch((error: unknown) => {
        feedError = error instanceof Error ? error.message : String(error);
        logger.warn({ err: error }, 'realtime: kafka consumer could not start; the outbox feed covers');
      });
  }
  await server.start();
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${server.info.port}`;
  // Every zone rule comes from the runtime's ICU time zone data (luxon reads Intl): its version is the one
  // to check when a government changes its clocks (README, "Time zone data").
  logger.info({ url, shape, mode: runtime.mode, tzdata: process.versions.tz }, 'tasklane started');
  if (runsOlderTzdata())
    logger.warn(
      { tzdata: process.versions.tz, bundled: BUNDLED_TZDATA.tzdata, ICU_TIMEZONE_FILES_DIR: TZDATA_DIR },
      'time zone rules older than the bundled ones: start node with ICU_TIMEZONE_FILES_DIR naming the bundled folder (npm start and the image do)',
    );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: no new requests, finishing in-flight work');
      server.app.draining = true;
      await server.stop({ timeout: 10_000 }); // stops accepting, waits for in-flight requests, closes sockets
      await topic?.stop(); // waits for a look at the topic under way, so its admin client is closed
      await sweeper.stop();
      await fanOutFinisher.stop();
      localTimers.stop();
      await fireQueue.stop();
      await runtime.stop();
      await relay.stop(); // a final flush of what is committed
      outboxFeed?.stop();
      await kafkaFeed?.stop();
      await kafkaOut?.close();
      await rateLimiter?.close();
      await db.close();
      logger.info('stopped');
      logger.flush?.();
    })();
    return stopping;
  };
  return { config, server, db, logger, runtime, hub, relay, sweeper, url, stop };
}
