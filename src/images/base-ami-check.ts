/** Each tracked image's base AMI pin against the newest base AMI its filters find on EC2. */
import { type BaseAmi, compareWithPin, findBaseAmi, type PinComparison } from '../aws/base-ami.js';
import type { ImageConfig } from '../config/config-schema.js';
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

/** Every image's pin and newest base AMI, read at once. */
export async function checkBaseAmis(
  context: FlowContext,
  checkout: Checkout,
  images: ImageConfig[],
): Promise<Array<{ image: ImageConfig; check: BaseAmiCheck }>> {
  return Promise.all(
    images.map(async (image) => {
      const base = image.base_ami as NonNullable<ImageConfig['base_ami']>;
      const region = base.region ?? (image.regions[0] as string);
      const setting = `images.${image.name}.base_ami`;
      const pinned = await readTarget(checkout.dir, base.pin, `${setting}.pin`);
      const ec2 = context.ec2For(region);
      const latest: BaseAmi = await findBaseAmi(ec2, region, {
        owners: base.owners,
        filters: base.filters,
        location: { setting },
      });
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
