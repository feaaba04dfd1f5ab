/**
 * Bundles the CLI into dist/hephestus.mjs: one file, no dependencies to resolve, so the orb installs it as a
 * single tarball. Heavy clients stay behind dynamic imports; esbuild keeps those modules uninitialised until the
 * subcommand that needs them runs.
 */
import { cp, readFile, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const result = await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/hephestus.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Prefer ESM builds: some packages' "main" is a UMD file whose dynamic require() a bundle cannot follow (jsonc-parser).
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  define: { HEPHESTUS_VERSION: JSON.stringify(pkg.version) },
  // Some CommonJS dependencies call require() on Node builtins; give the ESM bundle a require to do so.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __hephestusCreateRequire } from 'node:module';\nconst require = __hephestusCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The sandbox seeds its repositories from these folders; the bundle finds them beside itself.
await rm('dist/seeds', { recursive: true, force: true });
await cp('src/sandbox/seeds', 'dist/seeds', { recursive: true });

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
process.stderr.write(`built dist/hephestus.mjs (${(bytes / 1024 / 1024).toFixed(2)} MiB)\n`);
