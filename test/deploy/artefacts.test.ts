// The project's own checks of the deployment artefacts: each one catches a deliberately broken copy
// (image policy and contents, compose up checks, the chart's values schema, the chart and compose file
// against components/, render-check, the secrets in deploy/README.md), and the chart renders what the
// issue asks for. That every artefact passes its validators, and that the third-party validators
// (hadolint, compose-go, kubeconform) reject a broken copy, is checked once per `npm test` by the
// preflight (test/preflight.ts runs tools/validate/validate.ts), not again here.
// The validators are built by the first run (~2–4 min) and reused from ~/.cache/tasklane/tools after.
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ROOT,
  CHART,
  DOCKERFILE,
  DEPLOY_DOCS,
  VALUE_SETS,
  VERSIONS,
  ensureTools,
  dockerPolicy,
  imageCoverage,
  validateCompose,
  composeDaprConsistency,
  renderChart,
  validateRender,
  daprConsistency,
  secretsDocumented,
  secretCommandsMatchChart,
  brokenCopy,
  type Tools,
} from '../../tools/validate/lib.ts';

let tools: Tools | undefined;
const log = (line: string) => process.stdout.write(`  [deploy tools] ${line}\n`);

test.before('build or reuse the validators', async (t) => {
  t.timeout(40 * 60_000, 'building the deploy validators took longer than 40 minutes');
  tools = await ensureTools(log);
});

function need(): Tools {
  if (!tools) throw new Error('validators not built');
  return tools;
}

const minikube = VALUE_SETS.minikube!;
const civo = VALUE_SETS['civo-linode']!;
const newestK8s = VERSIONS.kubernetes[VERSIONS.kubernetes.length - 1]!;

// ---------------------------------------------------------------- deploy/Dockerfile (context: the repository root)

test('the image policy rejects root, a missing HEALTHCHECK, dev dependencies and a shell-form CMD', (t) => {
  const text = readFileSync(DOCKERFILE, 'utf8');
  t.deepEqual(dockerPolicy(text), []);
  const withoutUser = text.replace(/^USER .*$/m, '');
  t.true(dockerPolicy(withoutUser).some((p) => /no USER/.test(p)));
  t.true(dockerPolicy(text.replace(/^USER .*$/m, 'USER root')).some((p) => /runs as root/.test(p)));
  t.true(dockerPolicy(text.replace(/^HEALTHCHECK[\s\S]*?\n(?=\S)/m, '')).some((p) => /HEALTHCHECK/.test(p)));
  t.true(dockerPolicy(text.replace('--omit=dev ', '')).some((p) => /production dependencies only/.test(p)));
  t.true(dockerPolicy(text.replace(/^CMD .*$/m, 'CMD npm start')).some((p) => /shell form/.test(p)));
  t.true(
    dockerPolicy(text.replace(/NODE_ENV=production \\/, 'NODE_ENV=development \\')).some((p) => /NODE_ENV/.test(p)),
  );
});

test('the image check rejects a runtime import of a dev dependency and of a folder the image lacks', (t) => {
  const files = [
    {
      file: path.join(ROOT, 'host', 'fake.ts'),
      text: "import test from 'ava';\nimport { x } from '../test/helpers/db.ts';\nimport type { Y } from 'typescript';\n",
    },
  ];
  const result = imageCoverage(ROOT, files);
  t.false(result.ok);
  t.regex(result.output, /imports ava, which is not a production dependency/);
  t.regex(result.output, /outside the folders the image copies/);
  t.notRegex(result.output, /typescript/, 'type-only imports are erased and need nothing at run time');
});

// ---------------------------------------------------------------- docker-compose.yml

test('the compose up checks reject a wait on a service without healthcheck and a missing Dockerfile', async (t) => {
  const compose = path.join(ROOT, 'docker-compose.yml');
  // Written inside the project (env_file and bind paths resolve from there), under a unique name.
  const noHealth = brokenCopy(compose, [
    [
      /  redis:\n    image: redis:7.4-alpine\n    command: \["redis-server", "--appendonly", "yes"\]\n    volumes:\n      - redis-data:\/data\n    healthcheck:\n(      .*\n)+?    restart/,
      '  redis:\n    image: redis:7.4-alpine\n    restart',
    ],
  ]);
  // The Dockerfile lives in deploy/, not in the build context's root.
  const oldDockerfile = brokenCopy(compose, [['dockerfile: deploy/Dockerfile', 'dockerfile: Dockerfile']]);
  try {
    const b = await validateCompose(need(), noHealth.file, ROOT);
    t.false(b.ok);
    t.regex(b.output, /waits for "redis" to be healthy, but "redis" has no healthcheck/);
    const c = await validateCompose(need(), oldDockerfile.file, ROOT);
    t.false(c.ok);
    t.regex(c.output, /service "app" builds from Dockerfile, which does not exist/);
  } finally {
    noHealth.cleanup();
    oldDockerfile.cleanup();
  }
});

test("docker-compose.yml: a daprd whose app port drifted from the app's is caught", async (t) => {
  const drifted = brokenCopy(path.join(ROOT, 'docker-compose.yml'), [
    ['DAPR_APP_PORT: "3001"', 'DAPR_APP_PORT: "3002"'],
  ]);
  try {
    const result = await composeDaprConsistency(need(), drifted.file, ROOT);
    t.false(result.ok);
    t.regex(result.output, /--app-port 3001 != app DAPR_APP_PORT 3002/);
  } finally {
    drifted.cleanup();
  }
});

test("docker-compose.yml: daprd without the app's APP_API_TOKEN, or with another one, is caught", async (t) => {
  const compose = path.join(ROOT, 'docker-compose.yml');
  // daprd reads APP_API_TOKEN from the env files it shares with the app (the dev-env anchor).
  const missing = brokenCopy(compose, [[/(image: daprio\/daprd:1\.18\.2\n[\s\S]*?)    <<: \*dev-env\n/, '$1']]);
  const other = brokenCopy(compose, [
    [
      /(image: daprio\/daprd:1\.18\.2\n[\s\S]*?    <<: \*dev-env\n)/,
      '$1    environment:\n      APP_API_TOKEN: some-other-token\n',
    ],
  ]);
  try {
    const a = await composeDaprConsistency(need(), missing.file, ROOT);
    t.false(a.ok);
    t.regex(a.output, /daprd has no APP_API_TOKEN, but the app has one/);
    const b = await composeDaprConsistency(need(), other.file, ROOT);
    t.false(b.ok);
    t.regex(b.output, /daprd APP_API_TOKEN differs from the app's/);
    t.notRegex(b.output, /some-other-token|local-development-only/, 'token values are not printed');
  } finally {
    missing.cleanup();
    other.cleanup();
  }
});

// ---------------------------------------------------------------- Helm chart

test('chart: every kind the issue asks for is rendered, with several replicas by default', async (t) => {
  const rendered = await renderChart(need(), civo, newestK8s);
  t.is(rendered.code, 0, rendered.stderr);
  for (const kind of [
    'Deployment',
    'Service',
    'Ingress',
    'HorizontalPodAutoscaler',
    'PodDisruptionBudget',
    'Component',
    'Configuration',
  ]) {
    t.regex(rendered.stdout, new RegExp(`\\nkind: ${kind}\\n`), kind);
  }
  t.regex(rendered.stdout, /minReplicas: 3\n/);
  t.regex(rendered.stdout, /livenessProbe:[\s\S]*?path: \/health[\s\S]*?readinessProbe:[\s\S]*?path: \/ready/);
  t.notRegex(rendered.stdout, /\nkind: Secret\n/, 'the chart never carries a Secret: the operator creates it');
  const mk = await renderChart(need(), minikube, newestK8s);
  t.regex(mk.stdout, /kind: StatefulSet\nmetadata:\n {2}name: tasklane-postgresql/);
  t.regex(mk.stdout, /name: tasklane-kafka\n/);
  t.regex(mk.stdout, /name: tasklane-redis\n/);
});

test('helm rejects bad values (values.schema.json) and missing required values', async (t) => {
  const typo = await renderChart(need(), { ...minikube, set: ['replicaCount=three'] }, newestK8s);
  t.not(typo.code, 0);
  t.regex(typo.stderr, /replicaCount.*got string, want integer/);
  const unknownKey = await renderChart(need(), { ...minikube, set: ['ingres.enabled=false'] }, newestK8s);
  t.not(unknownKey.code, 0);
  t.regex(unknownKey.stderr, /additional properties 'ingres' not allowed/);
  const mechanism = await renderChart(need(), { ...civo, set: [...civo.set, 'kafka.sasl.mechanism=scram'] }, newestK8s);
  t.not(mechanism.code, 0);
  t.regex(mechanism.stderr, /mechanism/);
  const noImage = await renderChart(
    need(),
    { files: civo.files, set: civo.set.filter((s) => !s.startsWith('image.repository')) },
    newestK8s,
  );
  t.not(noImage.code, 0);
  t.regex(noImage.stderr, /image\.repository is required/);
  const tokenKey = await renderChart(need(), { ...minikube, set: ['secrets.keys.appApiToken=app-token'] }, newestK8s);
  t.not(tokenKey.code, 0, "Dapr's injector reads the key `token`: another name would split daprd and the app");
  t.regex(tokenKey.stderr, /appApiToken/);
  const noBrokers = await renderChart(
    need(),
    { files: civo.files, set: civo.set.filter((s) => !s.startsWith('kafka.brokers')) },
    newestK8s,
  );
  t.not(noBrokers.code, 0);
  t.regex(noBrokers.stderr, /kafka\.brokers is required/);
});

test('the Dapr consistency check notices a chart that drifts from components/', async (t) => {
  const good = await renderChart(need(), minikube, newestK8s);
  const drifted = good.stdout
    .replace(/name: consumerGroup\n(\s+)value: "tasklane"/, 'name: consumerGroup\n$1value: "other"')
    .replace('dapr.io/app-port: "3001"', 'dapr.io/app-port: "3000"');
  const result = await daprConsistency(need(), drifted);
  t.false(result.ok);
  t.regex(result.output, /consumerGroup/);
  t.regex(result.output, /dapr\.io\/app-port/);
});

test('the Dapr consistency check notices a chart without the app token, or with the app reading another Secret key', async (t) => {
  const good = await renderChart(need(), civo, newestK8s);
  t.regex(good.stdout, /dapr\.io\/app-token-secret: "tasklane-secrets"/);
  const noAnnotation = await daprConsistency(need(), good.stdout.replace(/\n\s+dapr\.io\/app-token-secret: .*/, ''));
  t.false(noAnnotation.ok);
  t.regex(noAnnotation.output, /dapr\.io\/app-token-secret is not set/);
  const otherKey = await daprConsistency(
    need(),
    good.stdout.replace(
      /(- name: APP_API_TOKEN\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: tasklane-secrets\n\s+key:) token/,
      '$1 jwt-secret',
    ),
  );
  t.false(otherKey.ok);
  t.regex(
    otherKey.output,
    /APP_API_TOKEN comes from tasklane-secrets\/jwt-secret, daprd's from tasklane-secrets\/token/,
  );
  const noEnv = await daprConsistency(need(), good.stdout.replace(/- name: APP_API_TOKEN\n/, '- name: UNRELATED\n'));
  t.false(noEnv.ok);
  t.regex(noEnv.output, /no APP_API_TOKEN from a Secret/);
});

// ---------------------------------------------------------------- Render and docs

test('render-check rejects a misspelt field, a missing Dockerfile and a wrong build context in render.yaml', async (t) => {
  const source = path.join(ROOT, 'deploy', 'render', 'render.yaml');
  const typo = brokenCopy(source, [['healthCheckPath:', 'healthcheckPath:']]);
  const noDockerfile = brokenCopy(source, [
    ['dockerfilePath: ./deploy/Dockerfile', 'dockerfilePath: ./deploy/Containerfile'],
  ]);
  // deploy/ as the context holds none of the sources; no context at all is ambiguous for a Dockerfile outside the root.
  const deployContext = brokenCopy(source, [['dockerContext: .\n', 'dockerContext: deploy\n']]);
  const noContext = brokenCopy(source, [['    dockerContext: .\n', '']]);
  try {
    const a = await validateRender(need(), typo.file);
    t.false(a.ok);
    t.regex(a.output, /healthcheckPath/);
    const b = await validateRender(need(), noDockerfile.file);
    t.false(b.ok);
    t.regex(b.output, /Containerfile does not exist/);
    const c = await validateRender(need(), deployContext.file);
    t.false(c.ok);
    t.regex(c.output, /copies actors, which is not in the build context deploy/);
    const d = await validateRender(need(), noContext.file);
    t.false(d.ok);
    t.regex(d.output, /dockerContext must be set explicitly/);
  } finally {
    typo.cleanup();
    noDockerfile.cleanup();
    deployContext.cleanup();
    noContext.cleanup();
  }
});

test('a secret deploy/README.md does not name is caught', (t) => {
  const broken = brokenCopy(DEPLOY_DOCS, [[/kafka-sasl-password/g, 'the SASL password']]);
  try {
    const missing = secretsDocumented(broken.file);
    t.false(missing.ok);
    t.regex(missing.output, /kafka-sasl-password/);
  } finally {
    broken.cleanup();
  }
});

test('a kubectl create secret command without the Dapr app token key is caught', async (t) => {
  const rendered = await renderChart(need(), minikube, newestK8s);
  t.is(rendered.code, 0, rendered.stderr);
  const broken = brokenCopy(DEPLOY_DOCS, [[/ \\\n {2}--from-literal=token="\$\(openssl rand -hex 32\)"/, '']]);
  try {
    const result = await secretCommandsMatchChart(need(), 'minikube', rendered.stdout, broken.file);
    t.false(result.ok);
    t.regex(result.output, /Secret tasklane-secrets key token is read by the chart but not created/);
  } finally {
    broken.cleanup();
  }
});

test('chart path and value files exist where the docs say', (t) => {
  t.true(CHART.endsWith(path.join('deploy', 'k8s', 'tasklane')));
  const docs = readFileSync(DEPLOY_DOCS, 'utf8');
  for (const file of [
    'docker build -f deploy/Dockerfile .',
    'deploy/k8s/tasklane',
    'deploy/k8s/values-minikube.yaml',
    'deploy/k8s/values-civo-linode.yaml',
    'deploy/render/render.yaml',
    'docker-compose.yml',
  ])
    t.true(docs.includes(file), file);
});
