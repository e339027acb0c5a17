// The flags and the environment every way of running the app gives node: package.json's `start`,
// deploy/Dockerfile's CMD and ENV, and the launchers in code (deploy/local/dev-dapr.ts, the test replicas, the
// chaos runs and the benchmarks import this). test/unit/node-flags.test.ts checks that the scripts and the
// image say the same.
import { TZDATA_DIR } from './tzdata.ts';

/**
 * `--max-semi-space-size=32` (MiB per semi-space; V8's default on 64-bit is 16): every request allocates
 * short-lived objects (the parsed request, the turn, the answer, the frames), and with the default young
 * generation V8 scavenged it so often under load that the main thread spent 7–9% of the app's CPU in
 * garbage collection. Measured at a fixed 1,000 PATCH/s with a socket per user: main-thread GC 7–9% → 4–5%
 * of the app's CPU (`npm run bench:profile`), and the app's CPU per 1,000 commands 0.65–0.67 s → 0.54–0.65 s
 * in one interleaved set of test/bench/cost.ts runs (this machine's noise is of that order); 64 MiB: GC 4%,
 * not worth the memory. The young generation may now hold 64 MiB, not 32.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/**
 * The variables node must be started with (the process cannot set them for itself):
 * `ICU_TIMEZONE_FILES_DIR` names host/tzdata/, the zone rules newer than the Node binary's (host/tzdata.ts).
 * An absolute path; package.json's scripts give the same folder relative to the package root, where npm
 * runs them.
 */
export const LAUNCH_ENV: Readonly<Record<string, string>> = { ICU_TIMEZONE_FILES_DIR: TZDATA_DIR };
