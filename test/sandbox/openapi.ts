/**
 * The fidelity check for the GitHub sandbox: every request and response body is validated against
 * GitHub's own OpenAPI description (@octokit/openapi), so the sandbox cannot drift from the real API.
 *
 * The description is OpenAPI 3.0 (`nullable`), which ajv does not speak; it is rewritten once into
 * plain JSON Schema (`type: [t, 'null']` / `anyOf [.., null]`) and registered as one schema, and each
 * operation's schema is compiled lazily the first time it is needed (the whole file takes seconds).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  literalLength: number;
  spec: JsonObject;
}

export interface OperationMatch {
  /** `GET /repos/{owner}/{repo}/pulls`. */
  id: string;
  spec: JsonObject;
}

/** Validates bodies against GitHub's OpenAPI description; each method returns the problems found (empty when valid). */
export interface GitHubOpenApi {
  find(method: string, path: string): OperationMatch | undefined;
  validateResponse(method: string, path: string, status: number, body: unknown): string[];
  validateRequest(method: string, path: string, body: unknown): string[];
}

const SPEC_ID = 'https://api.github.com/openapi.json';
// ajv-formats is CommonJS; under NodeNext its plugin function is the namespace's `default`.
const addFormats = (ajvFormats as unknown as { default: ajvFormats.FormatsPlugin }).default;

let cached: GitHubOpenApi | undefined;

/** The validator, built once per test run (the description is 13 MB). */
export function gitHubOpenApi(): GitHubOpenApi {
  cached ??= build();
  return cached;
}

function build(): GitHubOpenApi {
  const require = createRequire(import.meta.url);
  // Deep path, not the package root: the root module would load every GitHub flavour's description.
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  const components = spec.components as JsonObject;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, discriminator: false });
  addFormats(ajv);
  // GitHub-specific or numeric formats carry no constraint worth checking here.
  for (const format of ['int32', 'int64', 'double', 'binary', 'repo.nwo', 'timestamp'])
    ajv.addFormat(format, true);
  ajv.addSchema({
    $id: SPEC_ID,
    components: { schemas: toJsonSchema(components.schemas as Json) },
  } as object);

  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(spec.paths as JsonObject)) {
    for (const [method, op] of Object.entries(item as JsonObject)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({
        method: method.toUpperCase(),
        template,
        regex: templateRegex(template),
        literalLength: template.replace(/\{[^}]+\}/g, '').length,
        spec: op as JsonObject,
      });
    }
  }
  // Most specific first: `/pulls/{n}/merge` before `/pulls/{n}`, literal segments before parameters.
  operations.sort((a, b) => b.literalLength - a.literalLength);

  const compiled = new Map<string, ValidateFunction>();
  const validator = (key: string, schema: Json): ValidateFunction => {
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile(toJsonSchema(rewriteRefs(schema)) as object);
      compiled.set(key, fn);
    }
    return fn;
  };
  const resolve = (node: Json | undefined): JsonObject | undefined => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    const ref = node.$ref;
    if (typeof ref !== 'string') return node;
    return resolve(
      ref
        .split('/')
        .slice(1)
        .reduce<Json | undefined>((at, key) => (at as JsonObject)?.[key], spec as Json),
    );
  };
  const jsonSchema = (container: Json | undefined): Json | undefined => {
    const content = resolve(container)?.content as JsonObject | undefined;
    const media = content?.['application/json'] ?? content?.['application/scim+json'];
    return (media as JsonObject | undefined)?.schema;
  };
  const errors = (fn: ValidateFunction, body: unknown, what: string): string[] =>
    fn(body)
      ? []
      : (fn.errors ?? []).map(
          (e) => `${what}: ${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`,
        );

  const find = (method: string, path: string): OperationMatch | undefined => {
    const upper = method.toUpperCase();
    const op = operations.find((o) => o.method === upper && o.regex.test(path));
    return op && { id: `${op.method} ${op.template}`, spec: op.spec };
  };

  return {
    find,
    validateResponse(method, path, status, body) {
      const op = find(method, path);
      if (!op) return [`${method} ${path}: no such operation in GitHub's API`];
      const responses = op.spec.responses as JsonObject;
      const documented = responses[String(status)];
      const what = `${op.id} -> ${status}`;
      if (documented === undefined) {
        // GitHub documents few error statuses per operation (401, 429, 5xx rarely); they all share basic-error.
        if (status >= 400)
          return errors(validator('basic-error', { $ref: '#/components/schemas/basic-error' }), body, what);
        return [`${what}: status not documented for this operation`];
      }
      const schema = jsonSchema(documented);
      if (schema === undefined && status >= 400) {
        // Bodiless error statuses (`422: Response`) still carry GitHub's error object on the wire.
        return errors(validator('basic-error', { $ref: '#/components/schemas/basic-error' }), body, what);
      }
      if (schema === undefined)
        return body === undefined || body === '' ? [] : [`${what}: documented without a body`];
      return errors(validator(`${op.id} ${status}`, schema), body, what);
    },
    validateRequest(method, path, body) {
      const op = find(method, path);
      if (!op) return [`${method} ${path}: no such operation in GitHub's API`];
      const schema = jsonSchema(op.spec.requestBody);
      if (schema === undefined) return [];
      return errors(validator(`${op.id} request`, schema), body, `${op.id} request body`);
    },
  };
}

function templateRegex(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part, i, parts) => {
      if (!part.startsWith('{')) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      // A trailing `{ref}` / `{path}` may span slashes (`heads/feature/x`); `{basehead}` holds `a...b`.
      return i === parts.length - 2 && parts[i + 1] === '' ? '(.+)' : '([^/]+)';
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** Points `#/components/...` at the registered description. */
function rewriteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${SPEC_ID}${value}`
        : rewriteRefs(value);
  }
  return out;
}

/** OpenAPI 3.0 `nullable: true` into JSON Schema. */
function toJsonSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    // Property names such as `nullable` or `properties` inside `properties` are data, not keywords.
    out[key] =
      key === 'properties' && value && typeof value === 'object'
        ? mapValues(value as JsonObject)
        : toJsonSchema(value);
  }
  if (node.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

function mapValues(properties: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, toJsonSchema(v)]));
}
