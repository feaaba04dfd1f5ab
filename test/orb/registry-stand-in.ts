/**
 * An npm registry on loopback serving one package's packument and tarballs, so that the install command's real
 * `npm pack` runs against something that answers as registry.npmjs.org does (the packument with `dist.tarball`
 * and `dist.integrity`, the tarball at that URL). Records the paths it was asked for.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RegistryStandIn {
  /** The registry URL with a trailing slash, as npm's `registry` setting takes it. */
  url: string;
  /** The paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

/** The sha512 integrity of `bytes` in npm's SRI form. */
export const integrityOf = (bytes: Buffer): string =>
  `sha512-${createHash('sha512').update(bytes).digest('base64')}`;

/** Serves `name` with each of `versions` (version -> tarball path) as that version's tarball. */
export async function startRegistry(
  name: string,
  versions: Record<string, string>,
): Promise<RegistryStandIn> {
  const tarballs = new Map<string, Buffer>();
  for (const [version, path] of Object.entries(versions)) tarballs.set(version, await readFile(path));
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://registry').pathname);
    requests.push(path);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (path === `/${name}`) {
      const packument = {
        name,
        'dist-tags': { latest: [...tarballs.keys()].at(-1) },
        versions: Object.fromEntries(
          [...tarballs].map(([version, bytes]) => [
            version,
            {
              name,
              version,
              dist: {
                tarball: `${base}/${name}/-/${name}-${version}.tgz`,
                integrity: integrityOf(bytes),
                shasum: createHash('sha1').update(bytes).digest('hex'),
              },
            },
          ]),
        ),
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(packument));
      return;
    }
    const match = new RegExp(`^/${name}/-/${name}-(.+)\\.tgz$`).exec(path);
    const bytes = match ? tarballs.get(match[1] as string) : undefined;
    if (bytes) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(bytes);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
