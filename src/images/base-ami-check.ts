/** Each tracked image's base AMI pin against the newest base AMI its SSM parameter or filters find. */
import { type BaseAmi, compareWithPin, findBaseAmi, type PinComparison } from '../aws/base-ami.js';
import { findBaseAmisBySsm } from '../aws/base-ami-ssm.js';
import type { BaseAmiConfig, ImageConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import { type Checkout, readTarget } from '../update/checkout.js';

export interface BaseAmiCheck {
  image: string;
  region: string;
  pinned: string;
  latest: string;
  latestName: string;
  outcome: PinComparison['outcome'];
}

/** Every image's pin and newest base AMI, read at once (SSM parameters in one call per region). */
export async function checkBaseAmis(
  context: FlowContext,
  checkout: Checkout,
  images: ImageConfig[],
): Promise<Array<{ image: ImageConfig; check: BaseAmiCheck }>> {
  const bySsm = await latestBySsm(context, images);
  return Promise.all(
    images.map(async (image) => {
      const base = image.base_ami as BaseAmiConfig;
      const region = pinRegion(image);
      const setting = `images.${image.name}.base_ami`;
      const pinned = await readTarget(checkout.dir, base.pin, `${setting}.pin`);
      const ec2 = context.ec2For(region);
      const latest: BaseAmi =
        bySsm.get(image.name) ??
        (await findBaseAmi(ec2, region, {
          owners: base.owners ?? [],
          filters: base.filters ?? {},
          location: { setting },
        }));
      const comparison = await compareWithPin(ec2, latest, pinned);
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
    }),
  );
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
