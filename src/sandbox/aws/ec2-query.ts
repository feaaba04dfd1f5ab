/**
 * EC2 Query-protocol requests: flattened lists (`ImageId.1`), structures (`Filter.1.Value.2`),
 * EC2's filter semantics (values OR-ed, filters AND-ed, `*`/`?` wildcards) and NextToken paging.
 */

/** An EC2 API error; rendered as `Response/Errors/Error` with `status`. */
export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** One request's parameters, or one member of a flattened structure list. */
export class QueryParams {
  constructor(private readonly entries: ReadonlyMap<string, string>) {}

  /** Parses an `application/x-www-form-urlencoded` body merged over a query string. */
  static parse(body: string, search: URLSearchParams): QueryParams {
    const map = new Map<string, string>(search);
    for (const [key, value] of new URLSearchParams(body)) map.set(key, value);
    return new QueryParams(map);
  }

  get(name: string): string | undefined {
    return this.entries.get(name);
  }

  /** Every parameter, for the call log. */
  toRecord(): Record<string, string> {
    return Object.fromEntries(this.entries);
  }

  /** A required parameter; AWS answers `MissingParameter` without it. */
  require(name: string): string {
    const value = this.entries.get(name);
    if (value === undefined || value === '') {
      throw new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
    }
    return value;
  }

  bool(name: string): boolean | undefined {
    const value = this.entries.get(name);
    return value === undefined ? undefined : value.toLowerCase() === 'true';
  }

  int(name: string): number | undefined {
    const value = this.entries.get(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed))
      throw new Ec2Error('InvalidParameterValue', `Invalid value '${value}' for ${name}`);
    return parsed;
  }

  /** Values of `prefix.1`, `prefix.2`, ... in index order. */
  list(prefix: string): string[] {
    return this.indexed(prefix, (rest) => rest === '').map(([, entries]) => entries.get('') as string);
  }

  /** Members of `prefix.N.Field` lists, each as its own params with the `prefix.N.` stripped. */
  structs(prefix: string): QueryParams[] {
    return this.indexed(prefix, (rest) => rest.startsWith('.')).map(([, entries]) => {
      const stripped = new Map<string, string>();
      for (const [key, value] of entries) stripped.set(key.slice(1), value);
      return new QueryParams(stripped);
    });
  }

  private indexed(prefix: string, accept: (rest: string) => boolean): [number, Map<string, string>][] {
    const groups = new Map<number, Map<string, string>>();
    const head = `${prefix}.`;
    for (const [key, value] of this.entries) {
      if (!key.startsWith(head)) continue;
      const match = /^(\d+)(.*)$/.exec(key.slice(head.length));
      if (!match || !accept(match[2] as string)) continue;
      const index = Number(match[1]);
      const group = groups.get(index) ?? new Map<string, string>();
      group.set(match[2] as string, value);
      groups.set(index, group);
    }
    return [...groups.entries()].sort(([a], [b]) => a - b);
  }
}

export interface Ec2Filter {
  name: string;
  values: string[];
}

/** `Filter.N.Name` / `Filter.N.Value.M`. */
export function parseFilters(params: QueryParams): Ec2Filter[] {
  return params
    .structs('Filter')
    .map((filter) => ({ name: filter.require('Name'), values: filter.list('Value') }));
}

/** Tags given as `TagSpecification.N.ResourceType` + `TagSpecification.N.Tag.M.Key/Value`, for one resource type. */
export function tagsFor(params: QueryParams, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of params.structs('TagSpecification')) {
    if (spec.get('ResourceType') !== resourceType) continue;
    for (const tag of spec.structs('Tag')) tags[tag.require('Key')] = tag.get('Value') ?? '';
  }
  return tags;
}

/** Compiles an EC2 filter value: `*` any run, `?` one character, `\` escapes either. */
export function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] as string);
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether a resource passes every filter. `fields` gives a filter's values on the resource, or
 * undefined for a filter this resource type does not know (AWS rejects those); tag filters are shared.
 */
export function matchesFilters(
  filters: Ec2Filter[],
  tags: Record<string, string>,
  fields: (name: string) => Array<string | undefined> | undefined,
): boolean {
  return filters.every((filter) => {
    let candidates: Array<string | undefined> | undefined;
    if (filter.name.startsWith('tag:')) candidates = [tags[filter.name.slice(4)]];
    else if (filter.name === 'tag-key') candidates = Object.keys(tags);
    else if (filter.name === 'tag-value') candidates = Object.values(tags);
    else candidates = fields(filter.name);
    if (candidates === undefined)
      throw new Ec2Error('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    const patterns = filter.values.map(wildcard);
    return candidates.some((value) => value !== undefined && patterns.some((pattern) => pattern.test(value)));
  });
}

/** One page of `items` from `MaxResults` / `NextToken` (an opaque offset), with EC2's bounds on the page size. */
export function paginate<T>(
  items: T[],
  params: QueryParams,
  bounds: { min: number; max: number } = { min: 5, max: 1000 },
): { page: T[]; nextToken?: string } {
  const maxResults = params.int('MaxResults');
  const token = params.get('NextToken');
  let start = 0;
  if (token) {
    const decoded = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(decoded) || decoded < 0)
      throw new Ec2Error('InvalidParameterValue', `Invalid NextToken: ${token}`);
    start = decoded;
  }
  if (maxResults === undefined) return { page: items.slice(start) };
  if (maxResults < bounds.min || maxResults > bounds.max) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${bounds.min} and ${bounds.max}.`,
    );
  }
  const end = start + maxResults;
  return {
    page: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined,
  };
}
