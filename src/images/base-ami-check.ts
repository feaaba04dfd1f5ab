/** Each tracked image's base AMI pin against the newest base AMI its SSM parameter or filters find. */
import {
  type BaseAmi,
  describePinned,
  findBaseAmi,
  type PinComparison,
  pinComparison,
} from '../aws/base-ami.js';
import { findBaseAmisBySsm } from '../aws/base-ami-ssm.js';
import { AWS_CALLS_AT_ONCE } from '../aws/bounded.js';
import type { BaseAmiConfig, ImageConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import { mapBounded } from '../map-bounded.js';
import { type Checkout, readTarget } from '../update/checkout.js';

export interface BaseAmiCheck {
  image: string;
  region: string;
  pinned: string;
  latest: string;
  latestName: string;
  outcome: PinComparison['outcome'];
}

/**
 * Every image's pin and newest base AMI, the images checked at once (at most {@link AWS_CALLS_AT_ONCE} at a time):
 * SSM parameters in one call per region, and each image's own lookups side by side, so the check costs about
 * the round trips of one image whatever their number.
 */
export async function checkBaseAmis(
  context: FlowContext,
  checkout: Checkout,
  images: ImageConfig[],
): Promise<Array<{ image: ImageConfig; check: BaseAmiCheck }>> {
  // Started now and awaited only by the images that name a parameter: the others do not wait for SSM.
  const bySsm = latestBySsm(context, images);
  bySsm.catch(() => undefined);
  return mapBounded(images, AWS_CALLS_AT_ONCE, (image) => checkImage(context, checkout, image, bySsm));
}

async function checkImage(
  context: FlowContext,
  checkout: Checkout,
  image: ImageConfig,
  bySsm: Promise<Map<string, BaseAmi>>,
): Promise<{ image: ImageConfig; check: BaseAmiCheck }> {
  const base = image.base_ami as BaseAmiConfig;
  const region = pinRegion(image);
  const setting = `images.${image.name}.base_ami`;
  const pinned = await readTarget(checkout.dir, base.pin, `${setting}.pin`);
  const ec2 = context.ec2For(region);
  const newest = async (): Promise<BaseAmi> =>
    (base.ssm_parameter !== undefined ? (await bySsm).get(image.name) : undefined) ??
    findBaseAmi(ec2, region, {
      owners: base.owners ?? [],
      filters: base.filters ?? {},
      location: { setting },
    });
  // The pin is described while the newest AMI is looked for: one round trip instead of two, for one call more
  // when the pin turns out current.
  const [latest, found] = await Promise.all([newest(), describePinned(ec2, pinned)]);
  const comparison = pinComparison(latest, pinned, found);
  context.logger.info(
    `${image.name}: pinned ${pinned}, newest ${latest.imageId} (${latest.name}) in ${region}: ${comparison.outcome}`,
  );
  return {
    image,
    check: {
      image: image.name,
      region,
      pinned,
      latest: latest.imageId,
      latestName: latest.name,
      outcome: comparison.outcome,
    },
  };
}

/** The newest base AMI of each image whose `base_ami` names an SSM parameter, by image name. */
async function latestBySsm(context: FlowContext, images: ImageConfig[]): Promise<Map<string, BaseAmi>> {
  const requests = images.flatMap((image) => {
    const parameter = image.base_ami?.ssm_parameter;
    if (parameter === undefined) return [];
    const location = { setting: `images.${image.name}.base_ami.ssm_parameter` };
    return [{ image: image.name, region: pinRegion(image), parameter, location }];
  });
  if (requests.length === 0) return new Map();
  const found = await findBaseAmisBySsm((region) => context.aws(region), requests);
  return new Map(requests.map((request, index) => [request.image, found[index] as BaseAmi]));
}

function pinRegion(image: ImageConfig): string {
  return image.base_ami?.region ?? (image.regions[0] as string);
}
