import { describe, expect, it } from 'vitest';
import { gitHubOpenApi } from '../openapi.js';

const label = {
  id: 1,
  node_id: 'LA_1',
  url: 'http://127.0.0.1/repos/a/b/labels/x',
  name: 'x',
  description: null,
  color: 'ededed',
  default: false,
};

describe('the OpenAPI fidelity validator', () => {
  it('maps request paths to GitHub operations, most specific first, refs spanning slashes', () => {
    const api = gitHubOpenApi();
    expect(api.find('GET', '/repos/a/b/git/ref/heads/windows-update/x')?.id).toBe(
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
    );
    expect(api.find('PUT', '/repos/a/b/pulls/3/merge')?.id).toBe(
      'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge',
    );
    expect(api.find('GET', '/repos/a/b/pulls/3')?.id).toBe('GET /repos/{owner}/{repo}/pulls/{pull_number}');
    expect(api.find('PATCH', '/repos/a/b/issues/comments/9')?.id).toBe(
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
    );
    expect(api.find('GET', '/nothing/here')).toBeUndefined();
  });

  it('accepts a valid body, honours nullable fields, and reports missing fields, wrong types and stray nulls', () => {
    const api = gitHubOpenApi();
    const path = '/repos/a/b/issues/1/labels';
    expect(api.validateResponse('POST', path, 200, [label])).toEqual([]);
    const { name: _, ...nameless } = label;
    expect(api.validateResponse('POST', path, 200, [nameless])).toEqual([
      expect.stringContaining("must have required property 'name'"),
    ]);
    expect(api.validateResponse('POST', path, 200, [{ ...label, id: 'one' }])).toEqual([
      expect.stringContaining('/0/id must be integer'),
    ]);
    expect(api.validateResponse('POST', path, 200, [{ ...label, color: null }])).toEqual([
      expect.stringContaining('/0/color must be string'),
    ]);
  });

  it('checks request bodies and undocumented statuses', () => {
    const api = gitHubOpenApi();
    expect(api.validateRequest('POST', '/repos/a/b/issues/1/comments', { body: 'hi' })).toEqual([]);
    expect(api.validateRequest('POST', '/repos/a/b/issues/1/comments', { body: 42 })).not.toEqual([]);
    expect(api.validateResponse('GET', '/repos/a/b', 502, { message: 'Server Error' })).toEqual([]);
    expect(api.validateResponse('GET', '/repos/a/b', 502, { message: 42 })).toEqual([
      expect.stringContaining('/message must be string'),
    ]);
    expect(api.validateResponse('GET', '/repos/a/b', 207, {})).toEqual([
      expect.stringContaining('status not documented'),
    ]);
  });
});
