/**
 * The orb's `install_packer` command (orb/src/scripts/install_packer.sh) against a loopback HTTP server that
 * serves a fake Packer release the way releases.hashicorp.com lays it out: a zip, its SHA256SUMS and that file's
 * detached PGP signature, made here with a throwaway key. Good and tampered releases alike.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exists, loadOrb, orbSourceDir } from './orb-fixture.js';
import { layoutOf, runCommand, runSteps } from './orb-runner.js';

const run = promisify(execFile);
const VERSION = '1.16.1';
const script = join(orbSourceDir, 'scripts', 'install_packer.sh');
// The helpers the command's step puts into SCRIPT_UTILS.
const utils = await readFile(join(orbSourceDir, 'scripts', 'utils.sh'), 'utf8');
const { orb } = await loadOrb();

/** A zip of stored (uncompressed) files with Unix modes, as HashiCorp's release zips hold `packer`. */
function storedZip(files: Array<{ name: string; data: Buffer; mode: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, mode } of files) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the external attributes carry the mode
    central.writeUInt16LE(10, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const fakePacker = (says: string) =>
  storedZip([
    { name: 'packer', data: Buffer.from(`#!/bin/sh\necho "${says}"\n`), mode: 0o755 },
    { name: 'LICENSE.txt', data: Buffer.from('Business Source License 1.1\n'), mode: 0o644 },
  ]);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const zipName = `packer_${VERSION}_linux_amd64.zip`;
const sumsName = `packer_${VERSION}_SHA256SUMS`;
const sumsOf = (zip: Buffer) =>
  `${sha256(Buffer.from('darwin'))}  packer_${VERSION}_darwin_arm64.zip\n${sha256(zip)}  ${zipName}\n`;

let scratch: string;
let gnupg: string;
let fingerprint: string;
let otherKey: string;
let server: Server;
let baseUrl: string;
/** What the server answers, by path; every request it got. */
const served = new Map<string, Buffer>();
const requests: string[] = [];

async function gpg(home: string, args: string[], input?: string): Promise<string> {
  const { stdout } = await run('gpg', ['--homedir', home, '--batch', '--quiet', ...args], {
    encoding: 'utf8',
    ...(input ? { input } : {}),
  });
  return stdout;
}

async function newKey(home: string, uid: string): Promise<string> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await gpg(home, ['--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
  const colons = await gpg(home, ['--with-colons', '--fingerprint']);
  return /^fpr:::::::::([0-9A-F]{40}):/m.exec(colons)?.[1] as string;
}

async function sign(data: string): Promise<Buffer> {
  const file = join(scratch, `sign-${requests.length}-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, data);
  await gpg(gnupg, ['--yes', '--detach-sign', '--output', `${file}.sig`, file]);
  return readFile(`${file}.sig`);
}

/** Serves a release: the zip, the SHA256SUMS (of `sumsFor`, the zip by default) and its signature. */
async function publish(zip: Buffer, options: { sums?: string; signature?: Buffer } = {}): Promise<void> {
  const sums = options.sums ?? sumsOf(zip);
  served.clear();
  served.set(`/packer/${VERSION}/${zipName}`, zip);
  served.set(`/packer/${VERSION}/${sumsName}`, Buffer.from(sums));
  served.set(`/packer/${VERSION}/${sumsName}.sig`, options.signature ?? (await sign(sums)));
  served.set('/pgp-key.txt', Buffer.from(await gpg(gnupg, ['--armor', '--export'])));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'install-packer-'));
  gnupg = join(scratch, 'gnupg');
  fingerprint = await newKey(gnupg, 'Test Release Signing <release@example.com>');
  otherKey = await newKey(join(scratch, 'gnupg-other'), 'Someone Else <else@example.com>');
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const body = served.get(request.url ?? '');
    response.writeHead(body ? 200 : 404).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  for (const home of [gnupg, join(scratch, 'gnupg-other')])
    await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => undefined);
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  requests.length = 0;
});

interface Installed {
  code: number;
  output: string;
  home: string;
  bashEnv: string;
}

let runs = 0;
/** Runs the script as the command's run step does, in a fresh HOME unless `home` is given. */
async function install(params: Record<string, string> = {}, home?: string): Promise<Installed> {
  const dir = home ?? join(scratch, `home-${++runs}`);
  await mkdir(dir, { recursive: true });
  const bashEnv = join(dir, 'bash_env');
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    BASH_ENV: bashEnv,
    SCRIPT_UTILS: utils,
    PARAM_VERSION: VERSION,
    PARAM_BASE_URL: baseUrl,
    PARAM_GPG_KEY_URL: `${baseUrl}/pgp-key.txt`,
    PARAM_GPG_FINGERPRINT: fingerprint,
    PARAM_SIGNATURE: 'require',
    PARAM_SHA256: '',
    PARAM_INSTALL_DIR: '~/.hephestus-packer',
    ...params,
  };
  try {
    const { stdout, stderr } = await run('bash', [script], { env, encoding: 'utf8' });
    return { code: 0, output: stdout + stderr, home: dir, bashEnv };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr, home: dir, bashEnv };
  }
}

const binDir = (home: string) => join(home, '.hephestus-packer', VERSION, 'bin');

/** `packer version` in a shell that sourced BASH_ENV, as the next step of the job. */
async function packerOnPath(bashEnv: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', `source '${bashEnv}' && command -v packer && packer version`], {
    env: { PATH: '/usr/bin:/bin' },
    encoding: 'utf8',
  });
  return stdout;
}

describe('install_packer with a good release', () => {
  it('checks the signature and the checksum, installs packer and puts it first on PATH', async () => {
    await publish(fakePacker(`Packer v${VERSION}`));
    const result = await install();
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`${sumsName}: signature of key ${fingerprint} verified`);
    expect(result.output).toContain(
      `${zipName}: sha256 ${sha256(served.get(`/packer/${VERSION}/${zipName}`) as Buffer)} matches`,
    );
    expect(await packerOnPath(result.bashEnv)).toBe(
      `${join(binDir(result.home), 'packer')}\nPacker v${VERSION}\n`,
    );
  });

  it('downloads nothing again when the downloads are there (a restored cache), and checks them again', async () => {
    await publish(fakePacker(`Packer v${VERSION}`));
    const first = await install();
    expect(first.code, first.output).toBe(0);
    requests.length = 0;
    const again = await install({}, first.home);
    expect(again.code, again.output).toBe(0);
    expect(requests).toEqual([]);
    expect(again.output).toContain('signature of key');
    expect(again.output).toContain('matches');
  });

  it('accepts the zip when it matches a pinned sha256 too, and refuses it when it does not', async () => {
    const zip = fakePacker(`Packer v${VERSION}`);
    await publish(zip);
    expect((await install({ PARAM_SHA256: sha256(zip) })).code).toBe(0);
    const pinnedElse = await install({ PARAM_SHA256: 'a'.repeat(64) });
    expect(pinnedElse.code).toBe(1);
    expect(pinnedElse.output).toContain(`not the pinned ${'a'.repeat(64)}`);
    expect(await exists(binDir(pinnedElse.home))).toBe(false);
  });

  it('without a signature check (signature: skip) still checks the zip against SHA256SUMS', async () => {
    await publish(fakePacker(`Packer v${VERSION}`));
    const result = await install({ PARAM_SIGNATURE: 'skip' });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('signature not checked (signature=skip');
    expect(requests.some((path) => path.endsWith('.sig'))).toBe(false);
  });
});

describe('install_packer with a tampered release', () => {
  it('refuses a zip that does not match SHA256SUMS (exit 1), installs nothing and keeps no bad download', async () => {
    const good = fakePacker(`Packer v${VERSION}`);
    await publish(fakePacker('Packer v1.16.1 with a backdoor'), { sums: sumsOf(good) });
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.output).toContain(`${zipName} has sha256`);
    expect(result.output).toContain('tampered with');
    expect(await exists(binDir(result.home))).toBe(false);
    expect(await exists(join(result.home, '.hephestus-packer', VERSION, 'downloads', zipName))).toBe(false);
    expect(await readFile(result.bashEnv, 'utf8').catch(() => '')).toBe('');
  });

  it('refuses SHA256SUMS rewritten to match another zip: its signature no longer verifies', async () => {
    const good = fakePacker(`Packer v${VERSION}`);
    const evil = fakePacker('Packer v1.16.1 with a backdoor');
    await publish(evil, { sums: sumsOf(evil), signature: await sign(sumsOf(good)) });
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.output).toContain(`${sumsName} does not carry a valid signature of key ${fingerprint}`);
    expect(await exists(binDir(result.home))).toBe(false);
  });

  it('refuses a release key whose fingerprint is not the pinned one', async () => {
    await publish(fakePacker(`Packer v${VERSION}`));
    const result = await install({ PARAM_GPG_FINGERPRINT: otherKey });
    expect(result.code).toBe(1);
    expect(result.output).toContain(`is not the one with fingerprint ${otherKey}`);
    expect(await exists(binDir(result.home))).toBe(false);
  });

  it('refuses a zip whose packer is another version', async () => {
    await publish(fakePacker('Packer v1.6.6'));
    const result = await install();
    expect(result.code).toBe(1);
    expect(result.output).toContain('says "Packer v1.6.6", not Packer v1.16.1');
  });
});

describe('install_packer parameters', () => {
  it.each([
    [{ PARAM_VERSION: 'latest' }, 'version must be a release such as 1.16.1'],
    [{ PARAM_BASE_URL: 'file:///etc' }, 'base_url must be an http(s) URL'],
    [{ PARAM_SIGNATURE: 'maybe' }, 'signature must be auto, require or skip'],
    [{ PARAM_SHA256: 'abc' }, 'sha256 must be 64 lower-case hex digits'],
    [{ PARAM_GPG_FINGERPRINT: '72D7468F' }, 'gpg_fingerprint must be a 40-digit key fingerprint'],
  ])('refuses %j with exit 2 before downloading', async (params, message) => {
    const result = await install(params);
    expect(result.code).toBe(2);
    expect(result.output).toContain(message);
    expect(requests).toEqual([]);
  });
});

describe('install_packer parameters that try to run code', () => {
  it.each(['version', 'sha256', 'base_url', 'gpg_key_url', 'gpg_fingerprint', 'install_dir'])(
    '%s runs nothing',
    async (parameter) => {
      for (const payload of ['$(touch {})', '`touch {}`', ';touch {};', 'x\ntouch {}', `'"; touch {} #`]) {
        const marker = join(scratch, `pwned-${parameter}-${Math.random().toString(36).slice(2)}`);
        const base = join(scratch, `inject-${++runs}`);
        const result = await runCommand(
          orb,
          'install_packer',
          // Nothing is published there, so no run reaches a real release whatever the payload.
          { cache: false, base_url: `${baseUrl}/nothing`, [parameter]: payload.replaceAll('{}', marker) },
          { base },
        );
        expect(await exists(marker)).toBe(false);
        expect(result.status).toBe('failed');
      }
    },
  );
});

describe('the install_packer command in a job', () => {
  it('installs from the release, caches the downloads by version, and a later job restores them', async () => {
    await publish(fakePacker(`Packer v${VERSION}`));
    const cacheDir = join(scratch, 'circleci-cache');
    const steps = [
      {
        install_packer: {
          version: VERSION,
          base_url: baseUrl,
          gpg_key_url: `${baseUrl}/pgp-key.txt`,
          gpg_fingerprint: fingerprint,
        },
      },
      { run: { name: 'then', command: 'packer version' } },
    ];
    const first = await runSteps(orb, steps, { base: join(scratch, 'job-1'), cacheDir });
    expect(first.steps.map((step) => [step.name, step.status])).toEqual([
      [`Restore Packer ${VERSION} from the cache`, 'success'],
      [`Install Packer ${VERSION}`, 'success'],
      [`Save Packer ${VERSION} to the cache`, 'success'],
      ['then', 'success'],
    ]);
    expect(first.steps[3]?.output).toBe(`Packer v${VERSION}\n`);
    // A later job on a fresh machine: nothing of the first job's home is left but what the cache restores.
    await rm(layoutOf(join(scratch, 'job-1')).home, { recursive: true, force: true });
    requests.length = 0;
    const second = await runSteps(orb, steps, { base: join(scratch, 'job-1'), cacheDir });
    expect(second.steps[0]?.output).toContain(`Found a cache from key hephestus-packer-v1-`);
    expect(second.status).toBe('success');
    expect(requests).toEqual([]);
    expect(second.steps[3]?.output).toBe(`Packer v${VERSION}\n`);
  });
});
