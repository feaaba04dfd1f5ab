/**
 * Git smart HTTP for the sandbox's bare repositories, served by git's own CGI program
 * (`git http-backend`) on the same port as the REST API, with GitHub's token-as-password auth.
 * The CGI program does the protocol work (v0 and v2, gzip request bodies, pack negotiation);
 * this module only authenticates, sets the CGI environment and relays the streams.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLED, type Handler, type Router, type SandboxRequest, type SandboxResponse } from '../http.js';

export interface GitHttpOptions {
  /** Holds `<owner>/<repo>.git` bare repositories. */
  reposDir: string;
  /** True for a token the sandbox's GitHub accepts (the bot's, or a person's a test added). */
  isToken: (token: string) => boolean;
  /** Runs before a push's ref advertisement (a fault can move a branch here: "someone pushed first"). */
  beforePush?: (owner: string, repo: string) => Promise<void>;
  /** Runs after a push finished, before the client gets the last byte, so state is current when `git push` returns. */
  afterPush?: (owner: string, repo: string) => Promise<void>;
}

/** The router patterns of the git endpoints (fault scripts name them). */
export const gitRoutes = {
  infoRefs: 'GET /:owner/:repo/info/refs',
  uploadPack: 'POST /:owner/:repo/git-upload-pack',
  receivePack: 'POST /:owner/:repo/git-receive-pack',
} as const;

/** The bare repository directory for `owner/repo` under `reposDir`. */
export function bareRepoDir(reposDir: string, owner: string, repo: string): string {
  return join(reposDir, owner, `${repo}.git`);
}

/** Serves `/{owner}/{repo}(.git)/info/refs`, `git-upload-pack` and `git-receive-pack` on `router`. */
export function registerGitHttp(router: Router, options: GitHttpOptions): void {
  const handler: Handler = async (req) => {
    const owner = req.params.owner ?? '';
    const repo = (req.params.repo ?? '').replace(/\.git$/, '');
    const denied = refuse(req, options, owner, repo);
    if (denied) {
      // An unread request body would stall a client still sending its pack.
      req.raw.resume();
      return denied;
    }
    const service = req.url.searchParams.get('service') ?? req.url.pathname.split('/').pop() ?? '';
    const isPush = service === 'git-receive-pack';
    if (isPush && req.method === 'GET') await options.beforePush?.(owner, repo);
    await runBackend(
      req,
      options,
      `/${owner}/${repo}.git/${req.url.pathname.split('/').slice(3).join('/')}`,
      async () => {
        if (isPush && req.method === 'POST') await options.afterPush?.(owner, repo);
      },
    );
    return HANDLED;
  };
  const [infoMethod, infoPath] = gitRoutes.infoRefs.split(' ') as [string, string];
  router.on(infoMethod, infoPath, handler);
  router.on('POST', gitRoutes.uploadPack.split(' ')[1] as string, handler);
  router.on('POST', gitRoutes.receivePack.split(' ')[1] as string, handler);
}

function refuse(
  req: SandboxRequest,
  options: GitHttpOptions,
  owner: string,
  repo: string,
): SandboxResponse | undefined {
  if (!hasToken(req.headers.authorization, options.isToken)) {
    return {
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' },
      body: 'Invalid username or token. Password authentication is not supported for Git operations.\n',
    };
  }
  if (!existsSync(bareRepoDir(options.reposDir, owner, repo))) {
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Repository not found.\n' };
  }
  return undefined;
}

/** GitHub takes the token as the basic-auth password; the user name (`x-access-token` by convention) is not checked. */
function hasToken(authorization: string | undefined, isToken: (token: string) => boolean): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  return isToken(decoded.slice(decoded.indexOf(':') + 1));
}

function runBackend(
  req: SandboxRequest,
  options: GitHttpOptions,
  pathInfo: string,
  beforeEnd: () => Promise<void>,
): Promise<void> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !key.startsWith('GIT_')) env[key] = value;
  Object.assign(env, {
    GIT_PROJECT_ROOT: options.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    PATH_INFO: pathInfo,
    QUERY_STRING: req.url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: 'x-access-token',
    REMOTE_ADDR: req.raw.socket.remoteAddress ?? '127.0.0.1',
    // GitHub serves partial clones (`--filter=blob:none`); without this upload-pack ignores the filter and sends
    // every blob.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'uploadpack.allowFilter',
    GIT_CONFIG_VALUE_0: 'true',
  });
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  // http-backend inflates gzip bodies itself when told the encoding (git clients gzip large requests).
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  // Protocol v2 is negotiated through this header, passed on as GIT_PROTOCOL.
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

  const res = req.rawResponse;
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let head = Buffer.alloc(0);
    let headersDone = false;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const split = findHeaderEnd(head);
      if (!split) return;
      headersDone = true;
      const { status, headers } = parseCgiHeaders(head.subarray(0, split.start).toString('latin1'));
      res.writeHead(status, headers);
      const rest = head.subarray(split.end);
      if (rest.length > 0) res.write(rest);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (!headersDone) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`git http-backend exited with ${code}: ${stderr}`);
        resolve();
        return;
      }
      beforeEnd().then(
        () => {
          res.end();
          resolve();
        },
        (error: unknown) => {
          res.destroy();
          reject(error);
        },
      );
    });
    if (req.method === 'POST') req.raw.pipe(child.stdin);
    else child.stdin.end();
  });
}

function findHeaderEnd(buffer: Buffer): { start: number; end: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { start: crlf, end: crlf + 4 };
  if (lf >= 0) return { start: lf, end: lf + 2 };
  return undefined;
}

/** CGI response headers: `Status: 404 Not Found` sets the status, the rest pass through. */
function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
    else headers[name] = value;
  }
  return { status, headers };
}
