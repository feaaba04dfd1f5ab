/** The JUnit XML of a build-validate run: one suite per image it built (reused images ran no tests). Pure. */
import type { ValidationResult } from '../aws/validate-ami.js';
import { validationJunit } from '../aws/validation-run.js';
import type { ImageBuildReport } from './image-build.js';

/** The XML for CircleCI's `store_test_results`, from the report and the full results by image name. */
export function buildJunit(
  images: readonly ImageBuildReport[],
  results: ReadonlyMap<string, ValidationResult>,
): string {
  return validationJunit(
    images
      .filter((i) => i.action === 'built' && !i.artifacts)
      .map((i) => ({
        name: i.image,
        result: results.get(i.image),
        failure: i.status === 'failed' ? (i.failure ?? 'failed') : undefined,
      })),
  );
}
