// npx tsx tools/validate/validate.ts [--tools-only] [--versions]
// Builds (first run) or reuses the cached validators, then checks every deployment artefact with the
// tool that would reject it. Exits non-zero naming each artefact that failed.
import path from 'node:path';
import {
  ROOT,
  VALUE_SETS,
  VERSIONS,
  ensureTools,
  toolVersions,
  validateDockerfile,
  imageCoverage,
  validateCompose,
  validateChart,
  validateRender,
  renderChart,
  daprConsistency,
  composeDaprConsistency,
  secretsDocumented,
  secretCommandsMatchChart,
  type Result,
  type Tools,
} from './lib.ts';

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const log = (line: string) => process.stdout.write(`[deploy:validate ${stamp()}] ${line}\n`);

const args = process.argv.slice(2);
let tools: Tools;
try {
  tools = await ensureTools(log);
} catch (error) {
  process.stderr.write(
    `\ndeploy:validate FAILED: the validators could not be built\n${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
if (args.includes('--versions') || args.includes('--tools-only')) {
  for (const [name, version] of Object.entries(await toolVersions(tools))) log(`${name}: ${version}`);
  if (args.includes('--tools-only')) process.exit(0);
}

const checks: [string, () => Promise<Result> | Result][] = [
  ['deploy/Dockerfile (hadolint + image policy)', () => validateDockerfile(tools)],
  ['image contents (deploy/Dockerfile.dockerignore, COPY, production dependencies)', () => imageCoverage()],
  [
    "docker-compose.yml (compose-go): every service of the stack, daprd in the app's network",
    async () => {
      const result = await validateCompose(tools);
      const missing = ['postgres', 'redis', 'kafka', 'placement', 'scheduler', 'app', 'daprd'].filter(
        (service) => !new RegExp(`\\n\\s+${service}\\s`).test(result.output),
      );
      if (!/daprd .*network_mode=service:app/.test(result.output)) missing.push('daprd network_mode=service:app');
      return missing.length === 0
        ? result
        : { ...result, ok: false, output: `${result.output}\nmissing: ${missing.join(', ')}` };
    },
  ],
  ['docker-compose.yml: daprd and the app agree', () => composeDaprConsistency(tools)],
  ...Object.entries(VALUE_SETS).map(([name, o]): [string, () => Promise<Result>] => [
    `deploy/k8s chart, values-${name} (helm lint + template | kubeconform -strict, k8s ${VERSIONS.kubernetes.join(' & ')})`,
    () => validateChart(tools, o),
  ]),
  ...Object.entries(VALUE_SETS).map(([name, o]): [string, () => Promise<Result>] => [
    `deploy/k8s chart, values-${name}: Dapr resources match components/`,
    async () => {
      const rendered = await renderChart(tools, o, VERSIONS.kubernetes[VERSIONS.kubernetes.length - 1] ?? '1.37.2');
      if (rendered.code !== 0) return { ok: false, command: rendered.command, output: rendered.stderr };
      return daprConsistency(tools, rendered.stdout);
    },
  ]),
  ...Object.entries(VALUE_SETS).map(([name, o]): [string, () => Promise<Result>] => [
    `deploy/README.md, values-${name}: kubectl create secret creates every key the chart reads`,
    async () => {
      const rendered = await renderChart(tools, o, VERSIONS.kubernetes[VERSIONS.kubernetes.length - 1] ?? '1.37.2');
      if (rendered.code !== 0) return { ok: false, command: rendered.command, output: rendered.stderr };
      return secretCommandsMatchChart(tools, name, rendered.stdout);
    },
  ]),
  ['deploy/render/render.yaml (render-check)', () => validateRender(tools)],
  ['deploy/README.md names every secret', () => secretsDocumented()],
];

const failed: string[] = [];
for (const [name, check] of checks) {
  const t0 = Date.now();
  const result = await check();
  const ms = Date.now() - t0;
  log(`${result.ok ? 'PASS' : 'FAIL'} ${name} (${ms} ms)`);
  const detail = result.output
    .split('\n')
    .filter(Boolean)
    .map((l) => `    ${l}`)
    .join('\n');
  if (!result.ok || args.includes('--verbose'))
    process.stdout.write(`    $ ${result.command.replaceAll(ROOT + path.sep, '')}\n${detail}\n`);
  if (!result.ok) failed.push(name);
}
if (failed.length > 0) {
  process.stderr.write(
    `\ndeploy:validate FAILED: ${failed.length} of ${checks.length} artefact checks\n${failed.map((f) => `  ✗ ${f}`).join('\n')}\n`,
  );
  process.exit(1);
}
log(`all ${checks.length} artefact checks passed`);
