// npx tsx tools/tzdata.ts <icu4j version>  (e.g. 79.1) — brings a newer release of the zone rules into
// host/tzdata/ (host/tzdata.ts says why the app carries its own). The rules come in ICU's binary format inside
// ICU4J's jar on Maven Central (com.ibm.icu:icu4j; ICU publishes each tz release there in its next ICU4J):
//   1. has Maven fetch the jar (as the local stack fetches Kafka's, deploy/local/lib/services.ts), failing on
//      a checksum that does not match (`-C`);
//   2. takes out zoneinfo64.res, timezoneTypes.res, metaZones.res and windowsZones.res (`unzip`);
//   3. turns them little-endian, as ICU4C on x86-64 and arm64 reads them (ICU4J's are big-endian), with ICU's
//      own `icupkg -tl` (Debian's icu-devtools);
//   4. starts node with ICU_TIMEZONE_FILES_DIR naming the result and writes the tz release it reports, with the
//      jar's version and checksum, to host/tzdata/source.json.
// Then: regenerate the recurrence oracle with the same IANA release (test/fixtures/gen-recurrence-oracle.py
// says how) and run `npm test`.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TzdataSource } from '../host/tzdata.ts';

const ROOT = path.join(import.meta.dirname, '..');
const TARGET = path.join(ROOT, 'host', 'tzdata');
const FILES = ['zoneinfo64.res', 'timezoneTypes.res', 'metaZones.res', 'windowsZones.res'];

const started = Date.now();
const log = (line: string) =>
  process.stdout.write(`[tzdata ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

const version = process.argv[2];
if (!version || !/^\d+\.\d+(\.\d+)?$/.test(version)) {
  process.stderr.write('usage: npx tsx tools/tzdata.ts <icu4j version, e.g. 79.1>\n');
  process.exit(2);
}
const work = mkdtempSync(path.join(os.tmpdir(), 'tasklane-tzdata-'));
try {
  log(`mvn: fetching com.ibm.icu:icu4j:${version}`);
  execFileSync(
    'mvn',
    [
      '-q',
      '-B',
      '-C',
      'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy',
      `-Dartifact=com.ibm.icu:icu4j:${version}`,
      `-DoutputDirectory=${work}`,
    ],
    { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const jarPath = path.join(work, `icu4j-${version}.jar`);
  const sha1 = createHash('sha1').update(readFileSync(jarPath)).digest('hex');
  log(`sha1 ${sha1}`);
  const big = path.join(work, 'big');
  execFileSync('unzip', ['-q', '-j', jarPath, ...FILES.map((f) => `com/ibm/icu/impl/data/icudata/${f}`), '-d', big]);
  const little = path.join(work, 'little');
  mkdirSync(little);
  for (const file of FILES) execFileSync('icupkg', ['-tl', path.join(big, file), path.join(little, file)]);
  const probe = spawnSync(process.execPath, ['-p', 'process.versions.tz'], {
    env: { ...process.env, ICU_TIMEZONE_FILES_DIR: little },
    encoding: 'utf8',
  });
  const tzdata = probe.stdout.trim();
  if (probe.status !== 0 || !/^\d{4}[a-z]$/.test(tzdata))
    throw new Error(`node did not read the files: ${probe.stderr}`);
  const current = JSON.parse(readFileSync(path.join(TARGET, 'source.json'), 'utf8')) as TzdataSource;
  if (tzdata < current.tzdata)
    throw new Error(`ICU4J ${version} carries tzdata ${tzdata}, older than ${current.tzdata}`);
  // Copied beside the target first, then renamed in place: a rename within one folder is atomic, where one
  // from the temporary folder fails across file systems (EXDEV) and could leave two releases mixed.
  for (const file of FILES) copyFileSync(path.join(little, file), path.join(TARGET, `.${file}.new`));
  for (const file of FILES) renameSync(path.join(TARGET, `.${file}.new`), path.join(TARGET, file));
  const source: TzdataSource = { tzdata, icu4j: version, sha1 };
  writeFileSync(path.join(TARGET, 'source.json'), `${JSON.stringify(source, null, 2)}\n`);
  log(`host/tzdata/ now holds tzdata ${tzdata} (was ${current.tzdata}), from ICU4J ${version}`);
  log('next: regenerate test/fixtures/recurrence-oracle.json with the same IANA release, then npm test');
} catch (error) {
  process.stderr.write(`tools/tzdata.ts: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
