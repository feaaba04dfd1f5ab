/**
 * moto, the Python AWS mock nobody here wrote, as an independent EC2 and SSM: `moto_server` on a free
 * loopback port, one per test file. Hephestus is tested against it to find where it agrees with the
 * project's own sandbox only by construction.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** The account moto answers as; Amazon's, so the base-AMI queries (`owners: ["801119661308"]`) find images. */
export const MOTO_ACCOUNT_ID = '801119661308';

/** Whether `moto_server` can run here: on PATH and its Python can import moto. */
export function motoInstalled(): boolean {
  const which = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  return which.status === 0;
}

export interface Moto {
  url: string;
  /** The environment that points Hephestus's AWS clients (and Packer) at moto. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `moto_server` on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_ACCOUNT_ID },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${url}/moto-api/`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`moto_server did not answer on ${url} within 60 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    env: {
      AWS_ENDPOINT_URL_EC2: url,
      AWS_ENDPOINT_URL_SSM: url,
      AWS_ACCESS_KEY_ID: 'AKIAMOTOTESTKEY00001',
      AWS_SECRET_ACCESS_KEY: 'moto-test-secret-key-0000000000000000000',
      AWS_REGION: 'us-east-1',
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
