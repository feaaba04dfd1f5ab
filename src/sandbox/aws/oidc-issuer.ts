/**
 * The sandbox's stand-in for CircleCI's OIDC issuer: an RS256 key pair and tokens with the claims CircleCI puts in
 * `$CIRCLE_OIDC_TOKEN_V2` (iss `https://oidc.circleci.com/org/<org-id>`, aud the organization id, sub
 * `org/<org>/project/<project>/user/<user>/vcs-origin/<origin>/vcs-ref/<ref>`, and the `oidc.circleci.com/*`
 * claims). The sandbox's STS verifies them as AWS verifies a registered identity provider: signature, issuer,
 * audience, expiry.
 *
 * node:crypto signs and verifies RS256 in a few lines; a JOSE library would add a dependency for one algorithm.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';

export const SANDBOX_ORG_ID = '6b3c0f3e-0a4e-4b6e-9c43-0c0ffee00001';
export const SANDBOX_PROJECT_ID = '6b3c0f3e-0a4e-4b6e-9c43-0c0ffee00002';

export interface OidcClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  nbf?: number;
  exp: number;
  [claim: string]: unknown;
}

export interface OidcIssuer {
  issuer: string;
  audience: string;
  publicKey: KeyObject;
  /** A token as CircleCI issues it to a job of `project` on `ref`, valid for `ttlSeconds` (one hour by default). */
  mint(options?: {
    project?: string;
    ref?: string;
    ttlSeconds?: number;
    now?: number;
    claims?: Partial<OidcClaims>;
  }): string;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A fresh issuer for one sandbox. */
export function createOidcIssuer(orgId = SANDBOX_ORG_ID): OidcIssuer {
  // Made on first use: most sandboxes never see an OIDC token, and an RSA key takes a while to generate.
  let keys: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  const keyPair = () => {
    keys ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
    return keys;
  };
  const issuer = `https://oidc.circleci.com/org/${orgId}`;
  const kid = randomUUID();
  return {
    issuer,
    audience: orgId,
    get publicKey() {
      return keyPair().publicKey;
    },
    mint(options = {}) {
      const now = Math.floor((options.now ?? Date.now()) / 1000);
      const project = options.project ?? SANDBOX_PROJECT_ID;
      const ref = options.ref ?? 'refs/heads/main';
      const claims: OidcClaims = {
        iss: issuer,
        aud: orgId,
        sub: `org/${orgId}/project/${project}/user/00000000-0000-4000-8000-000000000003/vcs-origin/github.com/acme/windows-images/vcs-ref/${ref}`,
        iat: now,
        nbf: now,
        exp: now + (options.ttlSeconds ?? 3600),
        'oidc.circleci.com/project-id': project,
        'oidc.circleci.com/vcs-origin': 'github.com/acme/windows-images',
        'oidc.circleci.com/vcs-ref': ref,
        'oidc.circleci.com/context-ids': ['00000000-0000-4000-8000-000000000004'],
        ...options.claims,
      };
      const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
      const payload = base64url(JSON.stringify(claims));
      const signature = sign('sha256', Buffer.from(`${header}.${payload}`), keyPair().privateKey);
      return `${header}.${payload}.${base64url(signature)}`;
    },
  };
}

export type TokenCheck = { ok: true; claims: OidcClaims } | { ok: false; code: string; message: string };

/** Verifies a token as AWS does for a web identity provider: RS256 signature, issuer, audience and time window. */
export function verifyOidcToken(
  token: string,
  trusted: Pick<OidcIssuer, 'issuer' | 'audience' | 'publicKey'>,
  nowMs = Date.now(),
): TokenCheck {
  const invalid = (message: string): TokenCheck => ({ ok: false, code: 'InvalidIdentityToken', message });
  const parts = token.split('.');
  if (parts.length !== 3) return invalid('The web identity token that was passed could not be validated.');
  const [header, payload, signature] = parts as [string, string, string];
  let parsedHeader: { alg?: unknown };
  let claims: OidcClaims;
  try {
    parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as OidcClaims;
  } catch {
    return invalid('The web identity token that was passed could not be validated.');
  }
  if (parsedHeader.alg !== 'RS256')
    return invalid('The web identity token that was passed could not be validated.');
  const signed = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    trusted.publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!signed) return invalid('The web identity token that was passed could not be validated.');
  if (claims.iss !== trusted.issuer) {
    return invalid(`No OpenIDConnect provider found in your account for ${String(claims.iss)}`);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(trusted.audience)) return invalid('Incorrect token audience');
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    return {
      ok: false,
      code: 'ExpiredTokenException',
      message: 'Token expired: current date/time is after the exp',
    };
  }
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60) return invalid('Token is not yet valid');
  return { ok: true, claims };
}
