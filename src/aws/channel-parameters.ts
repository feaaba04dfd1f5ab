/**
 * Channels published to SSM Parameter Store, `<prefix>/<image>/<channel>` in each region, so a launch
 * template can follow a channel with `resolve:ssm:` and never wait for a repository bump.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { type PublishOutcome, publishImageParameter } from './ssm-parameters.js';

/** Where a channel move publishes; absent when publishing is off. */
export interface ChannelPublishing {
  ssmFor: (region: string) => SSMClient;
  /** e.g. `/hephestus`, no trailing slash. */
  prefix: string;
}

/** The parameter that names `image`'s AMI in `channel`. */
export function channelParameterName(prefix: string, image: string, channel: string): string {
  return `${prefix}/${image}/${channel}`;
}

/** Points `channel`'s parameter in `region` at `imageId` (a no-op when it already does). */
export function publishChannel(
  publishing: ChannelPublishing,
  where: { region: string; image: string; channel: string },
  imageId: string,
): Promise<PublishOutcome> {
  return publishImageParameter(
    publishing.ssmFor(where.region),
    channelParameterName(publishing.prefix, where.image, where.channel),
    imageId,
  );
}

/** The publishing a channel move does under `settings` (`ssm_parameters` in hephestus.yml): none when off. */
export function channelPublishing(
  settings: { publish: boolean; prefix: string } | undefined,
  ssmFor: (region: string) => SSMClient,
): ChannelPublishing | undefined {
  return settings?.publish ? { ssmFor, prefix: settings.prefix } : undefined;
}
