/**
 * The newest base AMI per region, found as Packer's `amazon-ami` data source finds it: owners are
 * required, filters are EC2 DescribeImages filters, and the answer is exactly one image (the newest
 * by creation date with `mostRecent`) or an error naming the query.
 */
import { DescribeImagesCommand, type EC2Client, paginateDescribeImages } from '@aws-sdk/client-ec2';
import { InputError, type Location } from '../errors.js';
import { type ImageRecord, imageRecord } from './schema.js';

export interface BaseAmiQuery {
  owners: string[];
  /** Filter name to value(s), `*` and `?` wildcards as EC2 has them. */
  filters: Record<string, string | string[]>;
  /** Take the newest of several matches (default true); false demands exactly one, as Packer's default. */
  mostRecent?: boolean;
  /** Where the query is configured, for error messages. */
  location?: Location;
}

export interface BaseAmi {
  region: string;
  imageId: string;
  name: string;
  creationDate: string;
}

/** Finds the one base AMI `query` selects in `region`. */
export async function findBaseAmi(ec2: EC2Client, region: string, query: BaseAmiQuery): Promise<BaseAmi> {
  if (query.owners.length === 0) {
    throw new InputError("owners are required (as for Packer's amazon-ami data source)", query.location);
  }
  const filters = Object.entries(query.filters).map(([Name, value]) => ({
    Name,
    Values: Array.isArray(value) ? value : [value],
  }));
  // A pending or failed image cannot be launched; Packer users add this filter by hand, we add it for them.
  if (!filters.some((filter) => filter.Name === 'state'))
    filters.push({ Name: 'state', Values: ['available'] });
  const images: ImageRecord[] = [];
  for await (const page of paginateDescribeImages(
    { client: ec2, pageSize: 1000 },
    { Owners: query.owners, Filters: filters },
  )) {
    for (const image of page.Images ?? []) images.push(imageRecord(image));
  }
  const described = describeQuery(region, query);
  if (images.length === 0) throw new InputError(`no AMI matches ${described}`, query.location);
  if (images.length > 1 && query.mostRecent === false) {
    throw new InputError(
      `${images.length} AMIs match ${described}; make the filters more specific or set most_recent`,
      query.location,
    );
  }
  // Newest first; equal creation dates (copies made in the same second) fall back to the name, then id,
  // so the same query always gives the same answer.
  images.sort(
    (a, b) =>
      b.creationTime - a.creationTime || b.name.localeCompare(a.name) || b.imageId.localeCompare(a.imageId),
  );
  const newest = images[0] as ImageRecord;
  return {
    region,
    imageId: newest.imageId,
    name: newest.name,
    creationDate: new Date(newest.creationTime).toISOString(),
  };
}

/** `findBaseAmi` in every region at once. */
export async function findBaseAmis(
  clientFor: (region: string) => EC2Client,
  regions: string[],
  query: BaseAmiQuery,
): Promise<BaseAmi[]> {
  return Promise.all(regions.map((region) => findBaseAmi(clientFor(region), region, query)));
}

export type PinOutcome =
  /** The pin is the newest image. */
  | 'current'
  /** A newer image exists: bump the pin. */
  | 'newer-available'
  /** The pinned image is newer than what the query finds (pinned by hand): leave it. */
  | 'pinned-is-newer';

export interface PinComparison {
  region: string;
  pinned: string;
  latest: BaseAmi;
  outcome: PinOutcome;
  /** The pinned image's name and date when it could still be described. */
  pinnedImage?: { name: string; creationDate: string };
}

/** Compares the newest base AMI with the pinned id; looks the pin up to tell an older pin from a newer one. */
export async function compareWithPin(
  ec2: EC2Client,
  latest: BaseAmi,
  pinned: string,
): Promise<PinComparison> {
  if (pinned === latest.imageId) return { region: latest.region, pinned, latest, outcome: 'current' };
  return pinComparison(latest, pinned, await describePinned(ec2, pinned));
}

/**
 * The newest base AMI against the pin, as EC2 described the pin (undefined: deregistered). For a caller that looks
 * the pin up while the newest AMI is searched for: two calls at once instead of one after the other.
 */
export function pinComparison(
  latest: BaseAmi,
  pinned: string,
  found: ImageRecord | undefined,
): PinComparison {
  const base = { region: latest.region, pinned, latest };
  if (pinned === latest.imageId) return { ...base, outcome: 'current' };
  if (!found) return { ...base, outcome: 'newer-available' };
  const pinnedImage = { name: found.name, creationDate: new Date(found.creationTime).toISOString() };
  const outcome =
    found.creationTime > Date.parse(latest.creationDate) ? 'pinned-is-newer' : 'newer-available';
  return { ...base, outcome, pinnedImage };
}

/** The pinned image as EC2 describes it by id (deprecated ones too), or undefined when it was deregistered. */
export async function describePinned(ec2: EC2Client, imageId: string): Promise<ImageRecord | undefined> {
  try {
    // By id AWS also shows deprecated images, which is what an old pin usually is.
    const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return Images[0] ? imageRecord(Images[0]) : undefined;
  } catch (error) {
    // A deregistered pin is simply out of date; any other error is real.
    if (
      (error as Error).name === 'InvalidAMIID.NotFound' ||
      (error as Error).name === 'InvalidAMIID.Unavailable'
    ) {
      return undefined;
    }
    throw error;
  }
}

function describeQuery(region: string, query: BaseAmiQuery): string {
  const filters = Object.entries(query.filters)
    .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : value}`)
    .join(' ');
  return `owners ${query.owners.join(',')} and filters ${filters || '(none)'} in ${region}`;
}
