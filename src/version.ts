/** The package version: set by the bundler (scripts/build.ts); `dev` when running from source. */
declare const HEPHESTUS_VERSION: string | undefined;

export const VERSION: string = typeof HEPHESTUS_VERSION === 'string' ? HEPHESTUS_VERSION : '0.0.0-dev';
