// npm run dev:dapr — the local shape: the app beside a daprd sidecar, with the flags `dapr run
// --app-id tasklane --app-port 3001 --resources-path components -- npm start` would use.
// Brings the stack up first. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ROOT, hasExited } from './lib/proc.ts';
import { local } from './lib/endpoints.ts';
import { startSidecar } from './lib/daprd.ts';
import { LAUNCH_ENV, NODE_FLAGS } from '../../host/node-flags.ts';

const port = Number(process.env.PORT ?? 3000);
// daprd talks to DaprServer on its own port; users reach hapi on PORT.
const appPort = Number(process.env.DAPR_APP_PORT ?? port + 1);
const httpPort = Number(process.env.DAPR_HTTP_PORT ?? 3500);
const grpcPort = Number(process.env.DAPR_GRPC_PORT ?? 50001);
const metricsPort = Number(process.env.DAPR_METRICS_PORT ?? 9090);

const up = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'deploy', 'local', 'stack.ts'), 'up'], {
  stdio: 'inherit',
});
const upCode = await new Promise<number | null>((resolve) => up.once('exit', resolve));
if (upCode !== 0) process.exit(upCode ?? 1);

// A fresh token per run: daprd presents it to the app, and the actor routes refuse anyone without it.
const appToken = process.env.APP_API_TOKEN ?? randomBytes(24).toString('base64url');
const env = {
  ...process.env,
  ...LAUNCH_ENV,
  APP_API_TOKEN: appToken,
  PORT: String(port),
  DAPR_APP_PORT: String(appPort),
  DAPR_HTTP_PORT: String(httpPort),
  DAPR_GRPC_PORT: String(grpcPort),
  DAPR_HOST: '127.0.0.1',
  APP_ID: 'tasklane',
  DATABASE_URL: local.databaseUrl,
  REDIS_URL: local.redisUrl,
  KAFKA_BROKERS: local.kafkaBrokers.join(','),
};
const app = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', path.join(ROOT, 'host', 'main.ts')], {
  stdio: 'inherit',
  env,
});
const sidecar = await startSidecar({
  appId: 'tasklane',
  appPort,
  httpPort,
  grpcPort,
  metricsPort,
  appToken,
  logName: 'daprd-tasklane',
});
process.stderr.write(
  `[dev:dapr] daprd ${httpPort}/${grpcPort} beside the app (API :${port}, actors :${appPort}) (sidecar log: ${path.relative(process.cwd(), sidecar.log)})\n`,
);

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  app.kill('SIGTERM');
  await new Promise((resolve) => (hasExited(app) ? resolve(null) : app.once('exit', resolve)));
  await sidecar.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
app.once('exit', (code) => void stop(code ?? 0));
sidecar.process.once('exit', (code) => {
  if (!stopping)
    process.stderr.write(
      `[dev:dapr] daprd exited (${code}); the app keeps serving in its fallback mode until you restart\n`,
    );
});
